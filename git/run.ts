// Running the git CLI with a configuration CCR controls: never the system or the user's own
// ~/.gitconfig, so autocrlf, hooks or aliases on a machine cannot change what CCR writes.

import { spawn, type ChildProcess } from 'node:child_process';
import { GitFailure } from '../core/errors.js';

/**
 * Git sees the objects as stored: replace refs (`refs/replace/`, which `git clone --mirror` copies)
 * and grafts (`info/grafts`) would make it show a stand-in history instead of the one judged. The
 * graft file is pointed below /dev/null, a path that can never exist (git warns about an empty one).
 */
const REAL_OBJECTS = { GIT_NO_REPLACE_OBJECTS: '1', GIT_GRAFT_FILE: '/dev/null/ccr-no-grafts' } as const;

/**
 * The spawn helper the build compiles (server/spawnHelper.c into dist/bin, beside dist/git and
 * dist/bundle): the server starts git's services through it (server/gitSpawner.ts), `ccr doctor`
 * checks it was built.
 */
export const SPAWN_HELPER = new URL('../bin/ccr-spawn', import.meta.url).pathname;

/** Environment for every git CCR runs: no system config, the given global config (or none), no replace refs or grafts. */
export function gitEnv(globalConfig = '/dev/null', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SystemRoot'])
    if (process.env[key] !== undefined) env[key] = process.env[key];
  const own = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: globalConfig, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  return { ...env, ...own, ...extra, ...REAL_OBJECTS };
}

/** What a finished git run gave. */
export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
  /** The run passed its time-out (or was stopped) and was killed with its children. */
  killed?: boolean;
}

/** Options of a git run. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: Uint8Array | string;
  /** Kill the run, and every process it started, past this (ms). */
  timeoutMs?: number;
  /** Stop the run early, e.g. when a watcher sees it write too much. */
  signal?: AbortSignal;
}

// Runs with a time-out lead process groups of their own: git's helpers (`git remote-http`,
// `index-pack`) inherit the pipes, and killing only the `git` parent would leave them holding the
// round open. Kept here so a server that stops can end the ones still running.
const groups = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Stops every run without a signal of its own while set: the ccr agent's command whose client is gone (cli/agent.ts). */
let ambient: AbortSignal | undefined;

/** Set (or clear, with undefined) the signal that stops runs given none. */
export function stopRunsWith(signal: AbortSignal | undefined): void {
  ambient = signal;
}

/** Kill every git run with a time-out still going (server shutdown). */
export function killRunningGroups(): void {
  for (const child of groups) killGroup(child);
}

/** Run git and collect its output; never throws for a non-zero exit (see `git()`). A run past `timeoutMs` is killed. */
export function runGit(args: string[], given: RunOptions = {}): Promise<GitResult> {
  const opts = given.signal === undefined && ambient ? { ...given, signal: ambient } : given;
  return new Promise((resolve, reject) => {
    const own = opts.timeoutMs !== undefined || opts.signal !== undefined;
    const child = spawn('git', args, {
      cwd: opts.cwd,
      env: opts.env ?? gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: own,
    });
    let killed = false;
    const kill = () => {
      killed = true;
      killGroup(child);
    };
    const timer = opts.timeoutMs !== undefined ? setTimeout(kill, opts.timeoutMs) : undefined;
    if (own && child.pid !== undefined) groups.add(child);
    if (opts.signal?.aborted) kill();
    opts.signal?.addEventListener('abort', kill, { once: true });
    // 'exit', not only 'close': a grandchild that survived would keep the pipes (and 'close') away.
    child.on('exit', () => {
      clearTimeout(timer);
      groups.delete(child);
      opts.signal?.removeEventListener('abort', kill);
      if (own) killGroup(child);
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // git could not be started (not on PATH): no 'exit' comes, so the time-out and the group go here.
    child.on('error', (e) => {
      clearTimeout(timer);
      groups.delete(child);
      opts.signal?.removeEventListener('abort', kill);
      reject(e);
    });
    child.stdin.on('error', () => {
      /* git may exit before reading all input; its exit code says why */
    });
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(killed ? { killed } : {}),
      }),
    );
    child.stdin.end(opts.input ?? '');
  });
}

/** Run git and give its stdout as text; a non-zero exit is a GitFailure. */
export async function git(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Uint8Array | string } = {},
): Promise<string> {
  const r = await runGit(args, opts);
  if (r.code !== 0)
    throw new GitFailure(`git ${args[0]} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`, {
      args,
      code: r.code,
      stderr: r.stderr,
    });
  return r.stdout.toString('utf8');
}
