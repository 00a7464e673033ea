#!/usr/bin/env node
// Compile the pre-receive hook's C client (hooks/pre-receive.c) into dist/hooks/pre-receive, where
// git/hooks.ts looks first. Without a C compiler the server runs the bash script hooks/pre-receive
// instead, which does the same a few milliseconds slower a push; this says so and succeeds.
// Usage: node scripts/hook.mjs [--quiet]

import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'hooks', 'pre-receive');
const partial = `${out}.${process.pid}`;
const cc = process.env.CC ?? 'cc';

mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(
  cc,
  [
    '-O2',
    '-std=c11',
    '-D_POSIX_C_SOURCE=200809L',
    '-Wall',
    '-Wextra',
    '-o',
    partial,
    join(root, 'hooks', 'pre-receive.c'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (r.status === 0) {
  renameSync(partial, out); // a server never runs half a file
} else {
  rmSync(partial, { force: true });
  rmSync(out, { force: true }); // never an old build of another source
  if (!process.argv.includes('--quiet'))
    console.error(
      `hook: no C compiler (${cc}: ${r.error?.code ?? `exit ${r.status}`}); the server will run the bash hook hooks/pre-receive`,
    );
}
