#!/usr/bin/env node
// Bundle the `ccr` command (dist/cli/ccr.js, compiled by tsc) into dist/bundle/: a file per
// command plus shared chunks, so a command reads a few files instead of resolving, reading and
// linking some four hundred modules (half of `ccr message add`'s time went there). The server's
// worker threads are entries of their own (dist/bundle/<name>Worker.js), found where the pools
// look for them, next to the module that starts them (so is the spawn helper); the hook is found as from dist/server/.
// The commands themselves are bundled a second time, as one CommonJS file (dist/bundle/main.cjs)
// that ccr.cjs runs through V8's code cache (cli/codeCache.ts): V8 caches compiled code of a
// script, not of ES modules, on Node 20. Its `import.meta.url` is the bundle's own URL, so what
// is found next to the module (workers, the spawn helper, ../../hooks) is found as from the ESM bundle.
// dist/bundle/meta.json names the inputs of every output; the tests refuse a bundle older than
// its inputs. Usage: node scripts/bundle.mjs (after tsc -p .)

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
/** Worker thread modules, started by URL: `new URL('./<name>Worker.js', import.meta.url)`. */
const workers = ['server', 'store', 'sync'].flatMap((dir) =>
  readdirSync(join(root, 'dist', dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /Worker\.js$/.test(f))
    .map((f) => join(root, 'dist', dir, f)),
);

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  // The commands (cli/main.ts), imported by ccr.cjs (made below) at run time.
  entryPoints: [join(root, 'dist', 'cli', 'main.js'), ...workers],
  absWorkingDir: root,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  logLevel: 'warning',
  // A native addon: loaded by Node from node_modules.
  external: ['better-sqlite3'],
  // CommonJS dependencies (isomorphic-git, ajv) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __ccrCreateRequire } from 'node:module'; const require = __ccrCreateRequire(import.meta.url);",
  },
});
const commands = await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: join(outdir, 'main.cjs'),
  charset: 'ascii',
  metafile: true,
  logLevel: 'warning',
  external: ['better-sqlite3'],
  // cli/codeCache.ts passes it: the URL of main.cjs.
  define: { 'import.meta.url': '__ccrMetaUrl' },
});
// main.cjs in ASCII, so cli/codeCache.ts reads it as latin1: a one-byte string made without UTF-8
// decoding, which V8 also scans faster. esbuild escapes strings but keeps comments and regular
// expression literals as they are; what is left is written as \u escapes (UTF-16 code units),
// which mean the same in comments, regular expressions, strings and identifiers.
const mainPath = join(outdir, 'main.cjs');
const ascii = readFileSync(mainPath, 'utf8').replace(
  /[^\x00-\x7f]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
writeFileSync(mainPath, ascii);
// ccr.cjs, the `ccr` command, is one CommonJS file: `ccr --help` and `ccr --version` read it and
// nothing else (as an entry of the build above, the usage text, the version and the exit codes it
// shares with the commands were chunks of their own, and esbuild's runtime one more: five files to
// find, read and link), and Node starts it without its ES module loader (~10 ms a start on these
// machines, a quarter of `node -e 0`). The code cache's loader is in it, run only when needed;
// the light commands are still imported as ES modules (./main.js).
const mainHash = createHash('sha256').update(ascii).digest('hex');
// The compiled client (cli/client.c) reads it: the agent of this build has it in its socket's name.
writeFileSync(join(outdir, 'main.hash'), `${mainHash}\n`);
const launcher = await build({
  entryPoints: [join(root, 'dist', 'cli', 'ccr.js')],
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: join(outdir, 'ccr.cjs'),
  metafile: true,
  logLevel: 'warning',
  // What import.meta.url was in the ES module launcher: the file's own URL.
  banner: { js: "'use strict';\nconst __ccrLauncherUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: {
    'import.meta.url': '__ccrLauncherUrl',
    // The code cache's key (cli/codeCache.ts): main.cjs is read on every run, hashed here once.
    __CCR_MAIN_HASH__: JSON.stringify(mainHash),
  },
  plugins: [
    {
      name: 'entries-next-to-ccr',
      setup(b) {
        b.onResolve({ filter: /^\.\/main\.js$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});
const meta = {
  inputs: { ...result.metafile.inputs, ...launcher.metafile.inputs, ...commands.metafile.inputs },
  outputs: { ...result.metafile.outputs, ...launcher.metafile.outputs, ...commands.metafile.outputs },
};
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(meta));
