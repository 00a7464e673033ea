// Benchmark: `ccr verify` of a 10,000-commit record spread over 50 threads (target: under 10 s),
// and as the worst case all commits in one thread (each commit rewrites a whole, ever longer
// messages.md: the work is quadratic, so fewer commits); against `git fsck` of the same
// repository in the same run.
// Usage: node dist/bench/verify.js [commits] [single-thread commits]

import { execFileSync, spawnSync } from 'node:child_process';
import { newUuid, type RecordId } from '../core/ids.js';
import { gitEnv } from '../git/run.js';
import { generateHistory } from './history.js';
import { report, scratch } from './util.js';

const ccr = new URL('../bundle/ccr.cjs', import.meta.url).pathname;
const runs: Array<[commits: number, threads: number]> = [
  [Number(process.argv[2] ?? 10_000), 50],
  [Number(process.argv[3] ?? 2_000), 1],
];
console.log('ccr verify of a whole record history');
for (const [commits, threads] of runs) {
  const gitdir = `${scratch('verify')}/r.git`;
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', gitdir], { env: gitEnv() });
  process.stderr.write(`  generating ${commits} commits over ${threads} thread(s)\n`);
  await generateHistory(gitdir, { recordId: newUuid() as RecordId, threads, commits });
  let started = performance.now();
  const r = spawnSync(process.execPath, [ccr, 'verify', gitdir], { encoding: 'utf8', env: gitEnv() });
  const verifyMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`verify failed: ${r.stdout}${r.stderr}`);
  started = performance.now();
  execFileSync('git', ['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling'], { env: gitEnv() });
  const fsckMs = performance.now() - started;
  report(`ccr verify, ${commits} commits in ${threads} thread(s)`, verifyMs / 1000, 's', {
    name: 'git fsck --strict',
    value: fsckMs / 1000,
  });
}
