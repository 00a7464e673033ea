// The real git CLI for tests: an isolated configuration and a fixed identity.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { gitEnv } from '../../git/run.js';

/** Environment for test git commands: no user or system config, a test identity. */
export function testGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return gitEnv('/dev/null', {
    GIT_AUTHOR_NAME: 'CCR Test',
    GIT_AUTHOR_EMAIL: 'test@ccr.invalid',
    GIT_COMMITTER_NAME: 'CCR Test',
    GIT_COMMITTER_EMAIL: 'test@ccr.invalid',
    ...extra,
  });
}

/** Run git in `cwd` and give stdout; throws with stderr on failure. */
export function gitIn(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): string {
  return execFileSync('git', args, {
    cwd,
    env: opts.env ?? testGitEnv(),
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run git in `cwd` and give the exit status and both outputs, never throwing. */
export function gitTry(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeout?: number } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, {
    cwd,
    env: opts.env ?? testGitEnv(),
    input: opts.input ?? '',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeout ?? 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Run git without blocking the event loop (a test server in this process must keep answering),
 * giving the exit status and both outputs; never throws.
 */
export function gitRun(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeout?: number } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, env: opts.env ?? testGitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like gitRun, but throws unless git succeeds; gives stdout. */
export async function gitOk(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
): Promise<string> {
  const r = await gitRun(cwd, args, opts);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
