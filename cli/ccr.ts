#!/usr/bin/env node
// The `ccr` command, bundled as one CommonJS file (dist/bundle/ccr.cjs: Node starts it without its
// ES module loader). `--help` and `--version` (also a command's `--help`) load nothing but this
// file and the usage text, or the command's own module. The commands that read or write a record
// run cli/main.ts from main.cjs through V8's code cache (cli/codeCache.ts), so V8 does not compile
// the same megabyte of code on every run; the others (push, pull, login, …: a few dozen
// kilobytes), unbundled, or with CCR_CODE_CACHE=0, as ES modules.

import { fileURLToPath } from 'node:url';
import { version } from '../version.js';
import { EXIT } from './exit.js';
import { usage } from './usage.js';

/**
 * The commands worth the cache: they load the service or the verifier (isomorphic-git, yaml,
 * micromark). For the others, reading and hashing the whole bundle would cost more than it saves;
 * `serve` runs for hours and compiles once.
 */
const CACHED = new Set(['thread', 'message', 'status', 'verify', 'export', 'record']);

/** The bundle's content hash, written in by scripts/bundle.mjs; undefined in tsc's dist/cli/ccr.js. */
declare const __CCR_MAIN_HASH__: string | undefined;
const mainHash = typeof __CCR_MAIN_HASH__ === 'string' ? __CCR_MAIN_HASH__ : undefined;

async function start(argv: string[]): Promise<number> {
  const [name] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    process.stdout.write(`ccr ${version}\n`);
    return EXIT.ok;
  }
  const help = argv.includes('--help') || argv.includes('-h');
  // Set by the compiled client (cli/client.c) when no agent answered: not for git or anything this runs.
  const wanted = process.env['CCR_AGENT_WANTED'] === '1';
  delete process.env['CCR_AGENT_WANTED'];
  const agent = name === '__agent';
  if (mainHash && (CACHED.has(name) || agent) && !help && process.env['CCR_CODE_CACHE'] !== '0') {
    const { loadCached } = await import('./codeCache.js');
    // Made by scripts/bundle.mjs next to the bundled ccr.cjs.
    const loaded = loadCached(fileURLToPath(new URL('./main.cjs', import.meta.url)), mainHash, name);
    if (loaded && agent) {
      // The user's agent (cli/agent.ts), started by a command below; its cache saved once it serves.
      setTimeout(() => loaded.save(), 1000).unref();
      await loaded.exports.agent(mainHash);
      return EXIT.ok;
    }
    if (loaded) {
      const code = await loaded.exports.runMain(argv);
      loaded.save();
      if (wanted) await loaded.exports.wantAgent(argv, fileURLToPath(import.meta.url));
      return code;
    }
  }
  if (agent) return EXIT.ok; // no bundle (tsc's dist/cli) or no cache: no agent
  return (await import('./main.js')).runMain(argv);
}

void start(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
