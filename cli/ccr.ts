#!/usr/bin/env node
// The `ccr` command. `--help` and `--version` (also a command's `--help`) load nothing but this file
// and the usage text, or the command's own module. Any other command runs cli/main.ts: in the
// bundle (dist/bundle/ccr.js) from main.cjs through V8's code cache (cli/codeCache.ts), so V8 does
// not compile the same megabyte of code on every run; unbundled, or with CCR_CODE_CACHE=0, as
// ES modules.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { version } from '../version.js';
import { EXIT } from './exit.js';
import { usage } from './usage.js';

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
  // Made by scripts/bundle.mjs next to the bundled ccr.js; absent next to tsc's dist/cli/ccr.js.
  const bundle = fileURLToPath(new URL('./main.cjs', import.meta.url));
  const help = argv.includes('--help') || argv.includes('-h');
  if (!help && process.env['CCR_CODE_CACHE'] !== '0' && existsSync(bundle)) {
    const { loadCached } = await import('./codeCache.js');
    const loaded = loadCached(bundle, name);
    const code = await loaded.exports.runMain(argv);
    loaded.save();
    return code;
  }
  return (await import('./main.js')).runMain(argv);
}

void start(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
