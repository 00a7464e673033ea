#!/usr/bin/env node
// The `ccr` command: dispatch to the commands, each with --help and an example.

import { EXIT, fail, parse, UsageError, type Command } from './args.js';
import { principal } from './principal.js';
import { record } from './record.js';
import { serve } from './serve.js';
import { verify } from './verify.js';

const commands: Record<string, Command> = { serve, principal, record, verify };

function usage(): string {
  return `usage: ccr <command> [options]   (ccr <command> --help for details and an example)\n\n${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`).join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`ccr: unknown command ${name}\n${usage()}`);
    return EXIT.usage;
  }
  let json = false;
  try {
    const { values, positionals } = parse(cmd, rest);
    json = values['json'] === true;
    if (values['help']) {
      process.stdout.write(cmd.help + '\n');
      return EXIT.ok;
    }
    return await cmd.run(values, positionals);
  } catch (e) {
    const code = fail(e, json);
    if (e instanceof UsageError) process.stderr.write(`\n${cmd.help}\n`);
    return code;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
