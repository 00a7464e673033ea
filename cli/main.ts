// What `ccr <command>` runs: the command's module, loaded only when it runs (so `ccr thread list`
// does not load the server), its options parsed, its failure put in words. cli/ccr.ts starts it,
// from the bundle through V8's code cache where it can (cli/codeCache.ts).

import { EXIT, fail, parse, UsageError, type Command } from './args.js';
import { usage } from './usage.js';

const commands: Record<string, () => Promise<Command>> = {
  login: async () => (await import('./login.js')).login,
  logout: async () => (await import('./login.js')).logout,
  clone: async () => (await import('./remote.js')).clone,
  config: async () => (await import('./config.js')).config,
  thread: async () => (await import('./thread.js')).thread,
  message: async () => (await import('./message.js')).message,
  status: async () => (await import('./status.js')).status,
  push: async () => (await import('./remote.js')).push,
  pull: async () => (await import('./remote.js')).pull,
  verify: async () => (await import('./verify.js')).verify,
  receipt: async () => (await import('./receipt.js')).receipt,
  export: async () => (await import('./export.js')).exportCommand,
  serve: async () => (await import('./serve.js')).serve,
  sync: async () => (await import('./sync.js')).sync,
  principal: async () => (await import('./principal.js')).principal,
  records: async () => (await import('./records.js')).records,
  record: async () => (await import('./record.js')).record,
  doctor: async () => (await import('./doctor.js')).doctor,
};

/** Run `ccr <name> …rest` (a command, not --help or --version); gives the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name = '', ...rest] = argv;
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`ccr: unknown command ${name}\n${usage()}`);
    return EXIT.usage;
  }
  const cmd = await load();
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

/** main(), with an error it let through put in words: the exit code. */
export function runMain(argv: string[]): Promise<number> {
  return main(argv).catch((e: unknown) => fail(e, false));
}

/** The command `name`, or undefined for none. */
async function command(name: string): Promise<Command | undefined> {
  return Object.hasOwn(commands, name) ? commands[name]!() : undefined;
}

/** Serve as the user's agent for this build (cli/agent.ts), the agent's commands and the service loaded first. */
export async function agent(hash: string): Promise<void> {
  const { serveAgent } = await import('./agent.js');
  await serveAgent(hash, runMain, command, () =>
    Promise.all([
      command('message'),
      command('thread'),
      command('status'),
      import('./remote.js'),
      import('../service/CoordinationService.js'),
    ]),
  );
}

/** After a command the compiled client would have given the agent (CCR_AGENT_WANTED): start one for the next. */
export async function wantAgent(argv: string[], launcher: string): Promise<void> {
  const [name = '', ...rest] = argv;
  const cmd = await command(name);
  const { agentMay, startAgent } = await import('./agent.js');
  if (cmd && agentMay(cmd, name, rest)) startAgent(launcher);
}
