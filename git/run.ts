// Running the git CLI with a configuration CCR controls: never the system or the user's own
// ~/.gitconfig, so autocrlf, hooks or aliases on a machine cannot change what CCR writes.

import { spawn } from 'node:child_process';
import { GitFailure } from '../core/errors.js';

/**
 * Git sees the objects as stored: replace refs (`refs/replace/`, which `git clone --mirror` copies)
 * and grafts (`info/grafts`) would make it show a stand-in history instead of the one judged. The
 * graft file is pointed below /dev/null, a path that can never exist (git warns about an empty one).
 */
const REAL_OBJECTS = { GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null/ccr-no-grafts' } as const;

/** Environment for every git CCR runs: no system config, the given global config (or none), no replace refs or grafts. */
export function gitEnv(globalConfig = '/dev/null', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SystemRoot']) if (process.env[key] !== undefined) env[key] = process.env[key];
  const own = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: globalConfig, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  return { ...env, ...own, ...extra, ...REAL_OBJECTS };
}

/** What a finished git run gave. */
export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run git and collect its output; never throws for a non-zero exit (see `git()`). A run past `timeoutMs` is killed. */
export function runGit(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Uint8Array | string; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env ?? gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    if (opts.timeoutMs) {
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      child.on('close', () => clearTimeout(timer));
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => { /* git may exit before reading all input; its exit code says why */ });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Run git and give its stdout as text; a non-zero exit is a GitFailure. */
export async function git(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Uint8Array | string } = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (r.code !== 0) throw new GitFailure(`git ${args[0]} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, { args, code: r.code, stderr: r.stderr });
  return r.stdout.toString('utf8');
}
