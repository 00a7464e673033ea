// Which git is on PATH, and whether it is new enough: the server and `ccr doctor` ask before they
// rely on it. 2.36 is the first git with `core.fsync`, which the server's configuration sets.

import { spawn } from 'node:child_process';

/** The oldest git CCR runs with. */
export const MIN_GIT: readonly [number, number] = [2, 36];

/** What `git --version` said: the version numbers and the text, or null when git is not on PATH. */
export interface GitVersion {
  major: number;
  minor: number;
  text: string;
}

/** True when the version is at least MIN_GIT. */
export function gitIsRecentEnough(v: GitVersion): boolean {
  return v.major > MIN_GIT[0] || (v.major === MIN_GIT[0] && v.minor >= MIN_GIT[1]);
}

/** Ask the git on PATH (of `env`) for its version; null when there is no git to run. */
export function gitVersion(env: NodeJS.ProcessEnv = process.env): Promise<GitVersion | null> {
  return new Promise((resolve) => {
    const child = spawn('git', ['--version'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      const m = /(\d+)\.(\d+)/.exec(out);
      resolve(code === 0 && m ? { major: Number(m[1]), minor: Number(m[2]), text: out.trim() } : null);
    });
  });
}

/** Whether a program answers on PATH (of `env`): `bash` for the pre-receive hook. */
export function programRuns(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
