#!/usr/bin/env node
// Compile the pre-receive hook's C client (hooks/pre-receive.c) into dist/hooks/pre-receive, with
// the source's sha256 in dist/hooks/pre-receive.sha256: a server installs the compiled client only
// when that matches the source as it is (git/hooks.ts), and the bash script hooks/pre-receive
// otherwise. Without a C compiler this says so and succeeds: the script does the same, a few
// milliseconds slower a push. Servers run a copy in their data folder, and nothing here removes a
// file a server could be running.
// It compiles the spawn helper (server/spawnHelper.c) into dist/bin/ccr-spawn, which starts git's
// services for the server (server/gitSpawner.ts); without a compiler there is none, and the server
// starts git itself.
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
const [cc, ...ccFlags] = (process.env.CC || 'cc').trim().split(/\s+/); // as make reads CC: `ccache gcc`

/** Compile `file` into `to`, through a partial file renamed into place: null, or why it was not. */
function compile(file, to, define) {
  const partial = `${to}.${process.pid}`;
  mkdirSync(dirname(to), { recursive: true });
  const r = spawnSync(cc, [...ccFlags, '-O2', '-std=c11', define, '-Wall', '-Wextra', '-o', partial, file], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    if (r.status === 0) {
      renameSync(partial, to);
      return null;
    }
  } catch {
    /* the compiler said it succeeded but wrote nothing */
  } finally {
    rmSync(partial, { force: true });
  }
  return `${cc}: ${r.error?.code ?? `exit ${r.status}`}`;
}

// The hash of what is compiled, read before: a source changed during the compile is not vouched for.
const hash = createHash('sha256').update(readFileSync(source)).digest('hex');
rmSync(`${out}.sha256`, { force: true }); // no old binary is taken for this source meanwhile
const hookNot = compile(source, out, '-D_POSIX_C_SOURCE=200809L');
if (!hookNot) writeFileSync(`${out}.sha256`, `${hash}\n`);
else {
  // The old binary stays (a server of an older version may still run it): without its hash beside
  // it, no server installs it again.
  console.error(
    `hook: the C client was not compiled (${hookNot}); servers will install the bash hook hooks/pre-receive`,
  );
}

// The spawn helper: an old one is removed first, so a server never starts one of another source
// (a helper running keeps its file: removing the name stops no program). Linux only: it waits for
// its children through a signalfd.
const helper = join(root, 'dist', 'bin', 'ccr-spawn');
const helperSource = join(root, 'server', 'spawnHelper.c');
rmSync(helper, { force: true });
if (process.platform === 'linux' && existsSync(helperSource)) {
  const helperNot = compile(helperSource, helper, '-D_GNU_SOURCE');
  if (helperNot) console.error(`hook: the spawn helper was not compiled (${helperNot}); the server starts git itself`);
}

// The command's client: no hash to vouch for it (nothing installs it elsewhere); an old one is
// removed first. Linux only: it finds its installation through /proc/self/exe, and asks the
// agent's uid with SO_PEERCRED. A project without it (the hook's own tests) has none to build.
const client = join(root, 'dist', 'bin', 'ccr');
const clientSource = join(root, 'cli', 'client.c');
rmSync(client, { force: true });
if (process.platform === 'linux' && existsSync(clientSource)) {
  const clientNot = compile(clientSource, client, '-D_DEFAULT_SOURCE');
  if (clientNot) console.error(`hook: the ccr client was not compiled (${clientNot}); ccr is node dist/bundle/ccr.cjs`);
}
