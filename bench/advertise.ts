// Benchmark: the ref advertisement answered by the server itself (server/advertisement.ts) vs by
// starting git for it, as before, on one server in one run, alternating. Measured: `info/refs`
// for receive-pack over HTTP, a whole one-message `git push`, and the event loop's busy time per
// push (what a spawn costs everyone else; issue 17 found 46 % of the main thread in spawn).
// Usage: node dist/bench/advertise.js [pushes per mode]

import { performance } from 'node:perf_hooks';
import { request } from 'node:http';
import { Advertisements, type AdvertisementSource } from '../server/advertisement.js';
import { apiRecord, benchServer, commitChain, gitCli, TOKEN } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 40);
const dir = scratch('advertise');
const server = await benchServer(`${dir}/data`, { validatorThreads: 2 });
const ctx = server.context;
type Mode = 'git' | 'server';
const modes: Mode[] = ['git', 'server'];
const byGit: AdvertisementSource = { answer: async () => null, learn: () => undefined };
const learned = new Advertisements();
const set = (m: Mode) => {
  ctx.advertisements = m === 'git' ? byGit : learned;
};

process.stderr.write('  preparing records and commits\n');
const lanes = new Map<Mode, { id: string; url: string; dir: string; chain: string[]; next: number }>();
for (const m of modes) {
  const rec = await apiRecord(server);
  const clone = `${dir}/clone-${m}`;
  lanes.set(m, {
    id: rec.id,
    url: rec.url,
    dir: clone,
    chain: await commitChain(rec.url, clone, rec.thread, n + 3),
    next: 0,
  });
}

const infoRefs = (id: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request(
      `${server.url}/coordination/${id}.git/info/refs?service=git-receive-pack`,
      {
        headers: { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`info/refs ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });

const refs = new Map<Mode, number[]>(modes.map((m) => [m, []]));
const pushes = new Map<Mode, number[]>(modes.map((m) => [m, []]));
const busy = new Map<Mode, number[]>(modes.map((m) => [m, []]));
for (let i = 0; i < 3 + n; i++) {
  for (const m of modes) {
    set(m);
    const lane = lanes.get(m)!;
    const r = await time(() => infoRefs(lane.id));
    const elu = performance.eventLoopUtilization();
    const p = await time(() =>
      gitCli(lane.dir, ['push', '-q', lane.url, `${lane.chain[lane.next++]}:refs/heads/main`]),
    );
    const used = performance.eventLoopUtilization(elu);
    if (i < 3) continue; // warm-up (the first answer of each kind is git's in both modes)
    refs.get(m)!.push(r);
    pushes.get(m)!.push(p);
    busy.get(m)!.push(used.active);
  }
}
await server.close();

console.log(`ref advertisement by git vs by the server, median of ${n} (ms)`);
report('info/refs (receive-pack), git started', median(refs.get('git')!), 'ms');
report('info/refs (receive-pack), answered by the server', median(refs.get('server')!), 'ms', {
  name: 'git started',
  value: median(refs.get('git')!),
});
report('one-message push, advertisement by git', median(pushes.get('git')!), 'ms');
report('one-message push, advertisement by the server', median(pushes.get('server')!), 'ms', {
  name: 'by git',
  value: median(pushes.get('git')!),
});
report('event loop busy per push, advertisement by git', median(busy.get('git')!), 'ms');
report('event loop busy per push, advertisement by the server', median(busy.get('server')!), 'ms', {
  name: 'by git',
  value: median(busy.get('git')!),
});
