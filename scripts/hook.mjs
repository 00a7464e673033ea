#!/usr/bin/env node
// Compile the pre-receive hook's C client (hooks/pre-receive.c) into dist/hooks/pre-receive, with
// the source's sha256 in dist/hooks/pre-receive.sha256: a server installs the compiled client only
// when that matches the source as it is (git/hooks.ts), and the bash script hooks/pre-receive
// otherwise. Without a C compiler this says so and succeeds: the script does the same, a few
// milliseconds slower a push. Servers run a copy in their data folder, and nothing here removes a
// file a server could be running.
// Usage: node scripts/hook.mjs

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'hooks', 'pre-receive.c');
const out = join(root, 'dist', 'hooks', 'pre-receive');
const partial = `${out}.${process.pid}`;
const [cc, ...ccFlags] = (process.env.CC || 'cc').trim().split(/\s+/); // as make reads CC: `ccache gcc`

mkdirSync(dirname(out), { recursive: true });
// The hash of what is compiled, read before: a source changed during the compile is not vouched for.
const hash = createHash('sha256').update(readFileSync(source)).digest('hex');
rmSync(`${out}.sha256`, { force: true }); // no old binary is taken for this source meanwhile
const r = spawnSync(
  cc,
  [...ccFlags, '-O2', '-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-o', partial, source],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
let built = false;
try {
  if (r.status === 0) {
    renameSync(partial, out);
    writeFileSync(`${out}.sha256`, `${hash}\n`);
    built = true;
  }
} catch {
  /* the compiler said it succeeded but wrote nothing */
}
rmSync(partial, { force: true });
if (!built) {
  // The old binary stays (a server of an older version may still run it): without its hash beside
  // it, no server installs it again.
  console.error(
    `hook: the C client was not compiled (${cc}: ${r.error?.code ?? `exit ${r.status}`}); servers will install the bash hook hooks/pre-receive`,
  );
}
