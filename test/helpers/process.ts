// A CCR server in its own process (`ccr serve`), for tests that signal or kill it.

import { spawn, type ChildProcess } from 'node:child_process';
import { ccrBin } from './bin.js';
import { root } from './fixtures.js';
import { testGitEnv } from './git.js';
import { reapGroup, reapProcess } from './reaper.js';

/** A server process and what it printed. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Start `ccr serve` and wait until it listens. With `group`, the server leads a process group of
 * its own, so `killGroup` takes its git children down with it.
 */
export function serveProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = root,
  group = false,
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ccrBin(), 'serve', ...args], {
      cwd,
      env: { ...testGitEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: group,
    });
    // Killed with the test process, whatever ends it (its own group with it, when it leads one).
    const forget = group ? reapGroup(child.pid!) : reapProcess(child.pid!);
    const lines: Array<Record<string, unknown>> = [];
    let buffered = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        forget();
        r(code);
      }),
    );
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const p of parts) {
        try {
          const line = JSON.parse(p) as Record<string, unknown>;
          lines.push(line);
          if (line['event'] === 'listening') resolve({ child, url: line['url'] as string, lines, exited });
        } catch {
          /* not a log line */
        }
      }
    });
    void exited.then((code) => reject(new Error(`ccr serve exited (${code}) before listening: ${stderr}`)));
  });
}

/** SIGKILL a server and, when it was started with `group`, every process of its group (its git children). */
export async function killGroup(p: ServerProcess): Promise<void> {
  try {
    process.kill(-p.child.pid!, 'SIGKILL');
  } catch {
    p.child.kill('SIGKILL'); // not a group leader, or already gone
  }
  await p.exited;
}
