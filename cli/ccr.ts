#!/usr/bin/env node
// The `ccr` command: dispatch to the commands, each with --help and an example. A command's
// module is loaded only when it runs, so `ccr thread list` does not load the server, and
// `ccr --help` and `ccr --version` load nothing but this file, args.js and version.js.

import { version } from '../version.js';
import { EXIT, fail, parse, UsageError, type Command } from './args.js';

const commands: Record<string, [summary: string, load: () => Promise<Command>]> = {
  login: ["keep your token for a server in git's credential helper", async () => (await import('./login.js')).login],
  logout: [
    "remove your token for a server from git's credential helper",
    async () => (await import('./login.js')).logout,
  ],
  clone: ['clone a record from a server', async () => (await import('./remote.js')).clone],
  config: ['set or show who you are and where you work', async () => (await import('./config.js')).config],
  thread: ['create, list, show or update threads', async () => (await import('./thread.js')).thread],
  message: ['add a message or a correction to a thread', async () => (await import('./message.js')).message],
  status: ['show or change the record status', async () => (await import('./status.js')).status],
  push: ['push your new commits to the server', async () => (await import('./remote.js')).push],
  pull: ['bring in what others pushed (fast-forward only)', async () => (await import('./remote.js')).pull],
  verify: ['check the whole history of a record offline', async () => (await import('./verify.js')).verify],
  receipt: ["check a signed push receipt against the server's key", async () => (await import('./receipt.js')).receipt],
  export: ['export the record as FHIR R4', async () => (await import('./export.js')).exportCommand],
  serve: ['run the CCR git server', async () => (await import('./serve.js')).serve],
  sync: ['run one sync round with peer sites', async () => (await import('./sync.js')).sync],
  principal: [
    'add, list or remove principals of a data folder, and their tokens',
    async () => (await import('./principal.js')).principal,
  ],
  records: ['list the records you take part in on a server', async () => (await import('./records.js')).records],
  record: ['create a record in a data folder', async () => (await import('./record.js')).record],
  doctor: [
    "check a server's machine and data folder, and say what to fix",
    async () => (await import('./doctor.js')).doctor,
  ],
};

function usage(): string {
  return `usage: ccr <command> [options]   (ccr <command> --help for details and an example; ccr --version)\n\n${Object.entries(
    commands,
  )
    .map(([n, [summary]]) => `  ${n.padEnd(12)} ${summary}`)
    .join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    process.stdout.write(`ccr ${version}\n`);
    return EXIT.ok;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`ccr: unknown command ${name}\n${usage()}`);
    return EXIT.usage;
  }
  const cmd = await entry[1]();
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
    if (e instanceof UsageError && !e.hint)
      return fail(new UsageError(e.message, `ccr ${name} --help shows the options and an example`), json);
    return fail(e, json);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = fail(e, false);
  },
);
