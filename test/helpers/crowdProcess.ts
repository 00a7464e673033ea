// Running test/helpers/crowd.ts from a test: start it, wait until it runs, stop it, read its counts.

import { spawn } from 'node:child_process';
import type { CrowdPlan } from './crowd.js';
import { root } from './fixtures.js';

/** What a crowd did: requests made, answered as expected, by status, and the first unexpected answers. */
export interface CrowdCounts {
  requests: number;
  expected: number;
  statuses: Record<string, number>;
  other: string[];
}

/** A crowd running in its own process. */
export interface Crowd {
  /** Resolves with its counts once it has stopped (its limit reached, or `stop()`). */
  done: Promise<CrowdCounts>;
  /** True until it has stopped. */
  running(): boolean;
  stop(): void;
}

/** Start a crowd and wait until its loops run; it is killed when the test ends. */
export async function startCrowd(t: { teardown(fn: () => void): void }, plan: CrowdPlan): Promise<Crowd> {
  const script = `${root}/dist/test/helpers/crowd.js`;
  const child = spawn(process.execPath, [script, JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  let printed = '';
  let stopped = false;
  child.stdout.on('data', (d: Buffer) => {
    printed += d.toString();
  });
  const done = new Promise<CrowdCounts>((resolve, reject) =>
    child.on('close', (code) => {
      stopped = true;
      const line = printed.split('\n')[1];
      if (code === 0 && line) resolve(JSON.parse(line) as CrowdCounts);
      else reject(new Error(`the crowd ended with ${code}: ${printed}`));
    }),
  );
  while (!printed.includes('started\n') && !stopped) await new Promise((r) => setTimeout(r, 20));
  return { done, running: () => !stopped, stop: () => child.stdin.end() };
}
