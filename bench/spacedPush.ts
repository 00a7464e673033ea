// Benchmark: the CPU a push costs the server when pushes come seconds apart, as through a clinic's
// day, against the same pushes back to back (issue 17). A thread idle for 2 s may compact its heap,
// and a full collection at such a moment throws away the optimized code made for objects that have
// all died, to be compiled again by the next pushes (server/heapRelease.ts HeapGrowth). The
// server's CPU is counted over each whole run (its threads and what it started), so a compaction
// and the compiling after it count for the pushes around them; and, for comparison, over as long
// with no push at all.
// Usage: node dist/bench/spacedPush.js [pushes] [ms between pushes]

import { apiRecord, commitChain, gitCli } from './fixtures.js';
import { startCcr, stopServers } from './gitServers.js';
import { IDLE_END_MS, IDLE_RELEASE_MS } from '../server/workerPool.js';
import { median, report, scratch, time, treeCpuMs } from './util.js';

const n = Number(process.argv[2] ?? 20);
const gap = Number(process.argv[3] ?? 3000);
const dir = scratch('spaced');
const server = await startCcr(`${dir}/data`);
const lane = async (name: string) => {
  const rec = await apiRecord(server);
  const work = `${dir}/${name}`;
  return { url: rec.url, work, chain: await commitChain(rec.url, work, rec.thread, n) };
};
const lanes = await Promise.all(['warm', 'burst', 'spaced'].map(lane));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Push a lane's commits one by one, each followed by `pause` ms (the idle release after it counts
 * for it); the server's CPU a push and the median push.
 */
async function run(l: Awaited<ReturnType<typeof lane>>, pause: number): Promise<{ cpu: number; wall: number }> {
  const walls: number[] = [];
  const before = treeCpuMs(server.pid);
  for (const [i, sha] of l.chain.entries()) {
    walls.push(await time(() => gitCli(l.work, ['push', '-q', l.url, `${sha}:refs/heads/main`])));
    if (pause) await sleep(pause);
    process.stderr.write(`  ${pause ? 'spaced' : 'back to back'}: ${i + 1}/${n}\r`);
  }
  process.stderr.write('\n');
  return { cpu: (treeCpuMs(server.pid) - before) / n, wall: median(walls) };
}

await run(lanes[0]!, 0); // the server's first compiling, not counted
const burst = await run(lanes[1]!, 0);
// The burst's own idle release and the end of its extra threads come before what is counted next.
await sleep(IDLE_RELEASE_MS + IDLE_END_MS + 1000);
// What the server spends with no push at all over as long (its timers, V8's own upkeep).
const quiet = treeCpuMs(server.pid);
await sleep(n * gap);
const idle = (treeCpuMs(server.pid) - quiet) / n;
const spaced = await run(lanes[2]!, gap);
report(`server CPU a push, pushes ${gap} ms apart`, spaced.cpu, 'ms', { name: 'back to back', value: burst.cpu });
report(`  of it, the same time with no push`, idle, 'ms');
report(`median push, pushes ${gap} ms apart`, spaced.wall, 'ms', { name: 'back to back', value: burst.wall });
stopServers();
