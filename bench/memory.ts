// Benchmark: the CCR server's resident memory (RSS) under 8 pushers, each on its own record, and
// after them (issue 17: peak ≤ 250 MB, back within 30 % of idle). `ccr serve` runs as a user runs
// it (the bundled command, a process of its own); the same load as bench/versusGit.ts's own-record
// part, without the nginx baseline, so that memory changes can be tried in a minute. Prints RSS
// idle, at the peak, and 5 s and 15 s after, with the ratio to idle.
// Usage: node dist/bench/memory.js [pushes per pusher] [pushers]
// The server runs with `npm start`'s node options; CCR_BENCH_NODE_ARGS gives others instead.

import { spawn, type ChildProcess } from 'node:child_process';
import { apiRecord, commitChain, gitCli } from './fixtures.js';
import { freePort, rss, serveEnv, serveNodeOptions } from './gitServers.js';
import { report, scratch, time } from './util.js';

const perPusher = Number(process.argv[2] ?? 8);
const pushers = Number(process.argv[3] ?? 8);
const dir = scratch('memory');
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const child = spawn(
  process.execPath,
  [
    ...serveNodeOptions(),
    new URL('../bundle/ccr.cjs', import.meta.url).pathname,
    'serve',
    '--data',
    `${dir}/data`,
    '--port',
    String(port),
  ],
  { stdio: ['ignore', 'ignore', 'inherit'], env: serveEnv() },
);
children.push(child);
const url = `http://127.0.0.1:${port}`;
for (const start = Date.now(); ; await sleep(100)) {
  if (
    await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    )
  )
    break;
  if (Date.now() - start > 60_000) throw new Error('the server did not answer within a minute');
}
await sleep(1000);
const idle = rss(child.pid!);

process.stderr.write('  preparing records and commits\n');
const lanes = await Promise.all(
  Array.from({ length: pushers }, async (_, i) => {
    const rec = await apiRecord({ url });
    const work = `${dir}/work${i}`;
    return { url: rec.url, work, chain: await commitChain(rec.url, work, rec.thread, perPusher) };
  }),
);
const ready = rss(child.pid!);

let peak = ready;
const sampler = setInterval(() => {
  peak = Math.max(peak, rss(child.pid!));
}, 50);
const took = await time(() =>
  Promise.all(
    lanes.map(async (l) => {
      for (const sha of l.chain) await gitCli(l.work, ['push', '-q', l.url, `${sha}:refs/heads/main`]);
    }),
  ),
);
clearInterval(sampler);
await sleep(5000);
const after5 = rss(child.pid!);
await sleep(10_000);
const after15 = rss(child.pid!);

report(`${pushers} pushers, each on its own record, pushes/s`, (pushers * perPusher) / (took / 1000), '/s');
const mb = (v: number) => `${v.toFixed(0)} MB`;
const above = (v: number) => `${((v / idle - 1) * 100).toFixed(0)} % above idle`;
console.log(`CCR server RSS: idle ${mb(idle)}, with the records made ${mb(ready)}, peak under the pushers ${mb(peak)}`);
console.log(`  5 s after ${mb(after5)} (${above(after5)}), 15 s after ${mb(after15)} (${above(after15)})`);
child.kill('SIGTERM');
