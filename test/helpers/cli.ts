// Running the built `ccr` command as a user would, in a child process.

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { ccrBin } from './bin.js';
import { root } from './fixtures.js';
import { testGitEnv } from './git.js';
import { tempDir } from './tmp.js';

/** What a `ccr` run gave; `timedOut` when it had to be killed. */
export interface CcrRun {
  status: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options of a `ccr` run: folder, environment, stdin, another user, and a time after which it is killed. */
export interface CcrOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Run `ccr` with arguments; gives exit status and outputs. A run past `timeoutMs` (default 120 s) is killed. */
export function ccr(args: string[], opts: CcrOptions = {}): Promise<CcrRun> {
  return new Promise((resolve) => {
    const command = [process.execPath, ccrBin(), ...args];
    // As another user, without the test runner's NODE_OPTIONS (its hooks write where that user may not).
    const [file, ...rest] = opts.uid !== undefined ? ['env', '-u', 'NODE_OPTIONS', ...command] : command;
    const child = spawn(file!, rest, {
      cwd: opts.cwd ?? root,
      env: { ...testGitEnv(), ...opts.env },
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** True when a text holds a stack trace line (`    at …`). */
export function hasStack(text: string): boolean {
  return /^\s+at /m.test(text);
}

/**
 * A folder `ccr` cannot write to, and the options to run it with: as root (who may write
 * anywhere) the command runs as user `nobody` (65534); otherwise the folder is made read-only.
 */
export function unwritableFolder(t: { teardown(fn: () => void): void }): {
  path: string;
  as: Pick<CcrOptions, 'uid' | 'gid'>;
} {
  const base = tempDir(t, 'ccr-ro-');
  chmodSync(base, 0o755);
  const path = `${base}/data`;
  mkdirSync(path);
  chmodSync(path, 0o555);
  t.teardown(() => chmodSync(path, 0o755));
  return { path, as: process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {} };
}
