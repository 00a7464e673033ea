#!/usr/bin/env node
// Compile the pre-receive hook's C client (hooks/pre-receive.c) into dist/hooks/pre-receive, with
// the source's sha256 in dist/hooks/pre-receive.sha256: a server installs the compiled client only
// when that matches the source as it is (git/hooks.ts), and the bash script hooks/pre-receive
// otherwise. Without a C compiler this says so and succeeds: the script does the same, a few
// milliseconds slower a push. Servers run a copy in their data folder, and nothing here removes a
// file a server could be running.
// It also compiles the `ccr` command's client (cli/client.c) into dist/bin/ccr, which hands
// commands to the user's agent (cli/agent.ts); without a compiler there is none, and `ccr` is
// node dist/bundle/ccr.cjs as always.
// Usage: node scripts/hook.mjs

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

// The command's client: no hash to vouch for it (nothing installs it elsewhere); an old one is removed first.
const client = join(root, 'dist', 'bin', 'ccr');
mkdirSync(dirname(client), { recursive: true });
rmSync(client, { force: true });
// Linux only: it finds its installation through /proc/self/exe, and asks the agent's uid with SO_PEERCRED.
const c =
  process.platform !== 'linux' || !existsSync(join(root, 'cli', 'client.c'))
    ? { status: 0, skipped: true }
    : spawnSync(
        cc,
        [
          ...ccFlags,
          '-O2',
          '-std=c11',
          '-D_DEFAULT_SOURCE',
          '-Wall',
          '-Wextra',
          '-o',
          `${client}.${process.pid}`,
          join(root, 'cli', 'client.c'),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
if (c.skipped) {
  /* a project without the command (the hook's own tests) */
} else if (c.status === 0) renameSync(`${client}.${process.pid}`, client);
else {
  rmSync(`${client}.${process.pid}`, { force: true });
  console.error(
    `hook: the ccr client was not compiled (${cc}: ${c.error?.code ?? `exit ${c.status}`}); ccr is node dist/bundle/ccr.cjs`,
  );
}
