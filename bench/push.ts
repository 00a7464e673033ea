// Benchmark: the cost of the pre-receive pipeline. The same one-message push, median of many, on
// one server in one run, turned between: no hook at all (git alone), the hook with the ref rules
// only, and the full validation. Then a push into a thread of 1,000 messages vs one of 10.
// Targets: validated push ≤ 1.15× the unvalidated one; 1,000-message thread ≤ 1.5× the 10.
// Usage: node dist/bench/push.js [pushes per mode]

import { apiRecord, benchServer, commitChain, fillThread, gitCli, noHookEnv } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 60);
const dir = scratch('push');
const server = await benchServer(`${dir}/data`, { validatorThreads: 2 });
const ctx = server.context;
const validated = ctx.gitEnv;
const noHook = await noHookEnv(server, dir);

type Mode = 'no hook' | 'ref rules only' | 'validated';
const modes: Mode[] = ['no hook', 'ref rules only', 'validated'];
const set = (m: Mode) => {
  ctx.gitEnv = m === 'no hook' ? noHook : validated;
  ctx.options.validateContent = m === 'validated';
};

process.stderr.write('  preparing records and commits\n');
// One record per mode, pushed to in turn, so each mode's pushes follow one another on its record
// (as every push does in production) while drift of the machine hits all modes alike.
const lanes = new Map<Mode, { url: string; dir: string; chain: string[]; next: number }>();
for (const m of modes) {
  const rec = await apiRecord(server);
  const clone = `${dir}/clone-${modes.indexOf(m)}`;
  lanes.set(m, { url: rec.url, dir: clone, chain: await commitChain(rec.url, clone, rec.thread, n + 3), next: 0 });
}
const times = new Map<Mode, number[]>(modes.map((m) => [m, []]));
const pushOne = (m: Mode) => {
  set(m);
  const lane = lanes.get(m)!;
  return time(() => gitCli(lane.dir, ['push', '-q', lane.url, `${lane.chain[lane.next++]}:refs/heads/main`]));
};
for (let i = 0; i < 3; i++) for (const m of modes) await pushOne(m); // warm-up
for (let i = 0; i < n; i++) for (const m of modes) times.get(m)!.push(await pushOne(m));
set('validated');

// A push into a long thread vs a short one: two records, pushes interleaved.
const long = await apiRecord(server);
const short = await apiRecord(server);
await fillThread(long.url, `${dir}/long-fill`, long.thread, 1000);
await fillThread(short.url, `${dir}/short-fill`, short.thread, 10);
const longChain = await commitChain(long.url, `${dir}/long`, long.thread, n + 1);
const shortChain = await commitChain(short.url, `${dir}/short`, short.thread, n + 1);
const longTimes: number[] = [];
const shortTimes: number[] = [];
for (let i = 0; i <= n; i++) {
  const l = await time(() => gitCli(`${dir}/long`, ['push', '-q', long.url, `${longChain[i]}:refs/heads/main`]));
  const s = await time(() => gitCli(`${dir}/short`, ['push', '-q', short.url, `${shortChain[i]}:refs/heads/main`]));
  if (i > 0) {
    longTimes.push(l);
    shortTimes.push(s);
  }
}
await server.close();

console.log(`one-message push over HTTP, median of ${n} (ms)`);
const base = { name: 'no hook', value: median(times.get('no hook')!) };
for (const m of modes) report(`push, ${m}`, median(times.get(m)!), 'ms', m === 'no hook' ? undefined : base);
report('push into a 1,000-message thread (validated)', median(longTimes), 'ms', {
  name: '10-message thread',
  value: median(shortTimes),
});
report('push into a 10-message thread (validated)', median(shortTimes), 'ms');
