// Running the built `ccr` command as a user would, in a child process.

import { spawn } from 'node:child_process';
import { root } from './fixtures.js';
import { testGitEnv } from './git.js';

/** Run `ccr` with arguments; gives exit status and outputs. */
export function ccr(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${root}/dist/cli/ccr.js`, ...args], { cwd: opts.cwd ?? root, env: { ...testGitEnv(), ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
