// Benchmark: where the CPU of a push goes when 8 pushers push at once, CCR against nginx + fcgiwrap
// + `git http-backend` (issue 17). On 2 cores the throughput of many pushers is the CPU each push
// costs, so this counts it rather than timing it: the machine's busy time (/proc/stat), the CCR
// server's threads, its spawn helper and everything the helper started (receive-pack, the hook,
// index-pack: the helper reaps them), nginx and fcgiwrap with what they started, and the git
// clients; per push, for the same commits pushed to each server in turn.
// Usage: node dist/bench/pushCpu.js [pushes per pusher]   (CCR_BY_TID=1: the server's threads one by one)

import { readdirSync, mkdirSync } from 'node:fs';
import { commitChain, gitCli } from './fixtures.js';
import { pair, startCcr, startNginx, stopServers } from './gitServers.js';
import { busyMs, childrenOf, procTimes, scratch, time } from './util.js';

const perPusher = Number(process.argv[2] ?? 8);
const dir = scratch('pushcpu');
/** A snapshot of the CPU used so far by each part. */
function snapshot(ccrPid: number, nginxPids: number[]): Map<string, number> {
  const s = new Map<string, number>();
  const add = (k: string, v: number) => s.set(k, (s.get(k) ?? 0) + v);
  add('machine, all processes', busyMs());
  for (const tid of readdirSync(`/proc/${ccrPid}/task`)) {
    const t = procTimes(`/proc/${ccrPid}/task/${tid}/stat`);
    add(
      Number(tid) === ccrPid ? 'ccr: main thread' : `ccr: thread ${process.env['CCR_BY_TID'] ? tid : ''} ${t.name}`,
      t.self,
    );
  }
  for (const child of childrenOf(ccrPid)) {
    const t = procTimes(`/proc/${child}/stat`);
    add('ccr: spawn helper (and other children), itself', t.self);
    add('ccr: what the helper started (git, hook), reaped', t.children);
  }
  for (const pid of nginxPids) {
    const t = procTimes(`/proc/${pid}/stat`);
    add('nginx + fcgiwrap, themselves', t.self);
    add('nginx: what fcgiwrap started (http-backend, git), reaped', t.children);
    for (const child of childrenOf(pid)) {
      const c = procTimes(`/proc/${child}/stat`);
      add('nginx + fcgiwrap, themselves', c.self);
      add('nginx: what fcgiwrap started (http-backend, git), reaped', c.children);
    }
  }
  const me = procTimes('/proc/self/stat');
  add('the git clients (this process reaps them)', me.children);
  return s;
}

const ccr = await startCcr(`${dir}/data`);
const repos = `${dir}/repos`;
mkdirSync(repos);
const nginx = await startNginx(dir, repos);
process.stderr.write('  preparing records and commits\n');
const lanes = await Promise.all(
  Array.from({ length: 8 }, async (_, i) => {
    const p = await pair(ccr.url, nginx.url, repos, `own${i}`);
    const work = `${dir}/work${i}`;
    return { ...p, work, chain: await commitChain(p.ccr, work, p.thread, 2 * perPusher) };
  }),
);
// One push each to warm both servers (the validator threads, nginx's workers).
await Promise.all(lanes.map((l) => gitCli(l.work, ['push', '-q', l.ccr, `${l.chain[0]}:refs/heads/main`])));
await Promise.all(lanes.map((l) => gitCli(l.work, ['push', '-q', l.nginx, `${l.chain[0]}:refs/heads/main`])));

const used = new Map<string, { ccr: number; nginx: number }>();
const wall = { ccr: 0, nginx: 0 };
for (const half of [0, 1])
  for (const to of ['ccr', 'nginx'] as const) {
    const before = snapshot(ccr.pid, nginx.pids);
    wall[to] += await time(() =>
      Promise.all(
        lanes.map(async (l) => {
          for (const sha of l.chain.slice(1 + half * perPusher, 1 + (half + 1) * perPusher))
            await gitCli(l.work, ['push', '-q', l[to], `${sha}:refs/heads/main`]);
        }),
      ),
    );
    const after = snapshot(ccr.pid, nginx.pids);
    for (const [k, v] of after) {
      const u = used.get(k) ?? { ccr: 0, nginx: 0 };
      u[to] += v - (before.get(k) ?? 0);
      used.set(k, u);
    }
  }
const pushes = 8 * (2 * perPusher - 1);
const per = (ms: number) => (ms / pushes).toFixed(1).padStart(8);
console.log(`CPU per push, 8 pushers on their own records (${pushes} pushes to each server; ms)`);
console.log(`${'part'.padEnd(60)} ${'to CCR'.padStart(8)} ${'to nginx'.padStart(8)}`);
for (const [k, u] of [...used].sort((a, b) => b[1].ccr + b[1].nginx - (a[1].ccr + a[1].nginx)))
  if (u.ccr + u.nginx > 0) console.log(`${k.padEnd(60)} ${per(u.ccr)} ${per(u.nginx)}`);
console.log(`${'wall clock per push (8 at once)'.padEnd(60)} ${per(wall.ccr)} ${per(wall.nginx)}`);
stopServers();
