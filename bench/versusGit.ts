// Benchmark: CCR against the git server an operator would otherwise run, nginx + fcgiwrap +
// `git http-backend`, which validates nothing (issue 17). Both on loopback in one run, the same
// pre-built commits pushed to each in turn: one-message push (also against nginx behind basic
// authentication, which costs git's client the 401 round trip CCR's tokens do), clone of a small
// and of a 1,000-message record, 8 pushers each on its own record, 8 pushers on one record (fetch
// and retry), and the CCR server's memory (RSS) idle, at its peak under the pushers and afterwards.
// `ccr serve` runs as a user runs it (the bundled command, a process of its own). nginx and
// fcgiwrap are installed with apt-get where missing, and stopped with their folders at the end.
// Targets: push and small clone ≤ 1.1×; own-record throughput ≥ 1.0×, one record ≥ 0.9×;
// RSS peak ≤ 250 MB, and back within 30 % of idle.
// Usage: node dist/bench/versusGit.js [samples] [pushes per pusher]
// The CCR server runs with `npm start`'s node options and MALLOC_ARENA_MAX=2 (bench/gitServers.ts
// startCcr); CCR_BENCH_NODE_ARGS gives other node options instead.

import { cpSync, mkdirSync } from 'node:fs';
import { CoordinationService } from '../service/CoordinationService.js';
import { apiRecord, author, body, commitChain, fillThread, gitCli, jane, place } from './fixtures.js';
import { pair as pairOf, rss, startCcr, startNginx, stopServers } from './gitServers.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 30);
const perPusher = Number(process.argv[3] ?? 8);
const dir = scratch('versus');
const ccr = await startCcr(`${dir}/data`);
const baseRepos = `${dir}/repos`;
mkdirSync(baseRepos);
const nginx = await startNginx(dir, baseRepos);

const pair = (name: string) => pairOf(ccr.url, nginx.url, baseRepos, name);

// Idle once the validator threads have loaded (they start with the server, after it answers).
await new Promise((r) => setTimeout(r, 1000));
const idle = rss(ccr.pid);
process.stderr.write('  preparing records and commits\n');

// (1) One-message push, the same commits to each, in turn.
{
  const p = await pair('push');
  const chain = await commitChain(p.ccr, `${dir}/push-work`, p.thread, 2 * (n + 2));
  // A copy of nginx's repository, served behind basic authentication, pushed the same commits third.
  cpSync(`${baseRepos}/push.git`, `${baseRepos}/push-auth.git`, { recursive: true });
  const servers = [p.ccr, p.nginx, `${nginx.authUrl}/push-auth.git`];
  /**
   * The servers in turn, each first as often. Back to back, what one server does after its push
   * (CCR indexes it for its events feed) lands on the next one's timing; after a pause, each push
   * meets an idle server (as a clinician's occasional push does), which wakes every thread and
   * process on its path: CCR's path has more of them than nginx's.
   */
  const inTurn = async (commits: string[], pauseMs: number): Promise<number[][]> => {
    const times: number[][] = servers.map(() => []);
    for (let i = 0; i < commits.length; i++) {
      for (let k = 0; k < servers.length; k++) {
        const s = (i + k) % servers.length;
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        const took = await time(() =>
          gitCli(`${dir}/push-work`, ['push', '-q', servers[s]!, `${commits[i]}:refs/heads/main`]),
        );
        if (i >= 2) times[s]!.push(took);
      }
    }
    return times;
  };
  const [c, g, a] = await inTurn(chain.slice(0, n + 2), 0);
  const [ci, gi, ai] = await inTurn(chain.slice(n + 2), 100);
  console.log(`CCR vs nginx + git http-backend (no validation), one run, medians of ${n}`);
  report('one-message push, back to back', median(c!), 'ms', { name: 'nginx', value: median(g!) });
  report('  against nginx behind basic auth (a 401 first)', median(c!), 'ms', {
    name: 'nginx with auth',
    value: median(a!),
  });
  report('one-message push, each after 100 ms idle', median(ci!), 'ms', { name: 'nginx', value: median(gi!) });
  report('  against nginx behind basic auth (a 401 first)', median(ci!), 'ms', {
    name: 'nginx with auth',
    value: median(ai!),
  });

  // (2) Clone of the small record just pushed to (2n + 5 commits, 1 thread).
  const cc: number[] = [];
  const gc: number[] = [];
  for (let i = 0; i < n; i++) {
    cc.push(await time(() => gitCli(dir, ['clone', '-q', p.ccr, `${dir}/cc${i}`])));
    gc.push(await time(() => gitCli(dir, ['clone', '-q', p.nginx, `${dir}/gc${i}`])));
  }
  report('clone of a small record', median(cc), 'ms', { name: 'nginx', value: median(gc) });
}

// (3) Clone of a 1,000-message record.
{
  const rec = await apiRecord(ccr);
  await fillThread(rec.url, `${dir}/big-work`, rec.thread, 1000);
  await gitCli('/', ['clone', '-q', '--bare', rec.url, `${baseRepos}/big.git`]);
  await gitCli(`${baseRepos}/big.git`, ['config', 'http.receivepack', 'true']);
  const cc: number[] = [];
  const gc: number[] = [];
  for (let i = 0; i < Math.max(5, n / 3); i++) {
    cc.push(await time(() => gitCli(dir, ['clone', '-q', rec.url, `${dir}/bc${i}`])));
    gc.push(await time(() => gitCli(dir, ['clone', '-q', `${nginx.url}/big.git`, `${dir}/bg${i}`])));
  }
  report('clone of a 1,000-message record', median(cc), 'ms', { name: 'nginx', value: median(gc) });
}

// (4) 8 pushers, each pushing its own pre-built commits to its own record.
let peak = idle;
const sampler = setInterval(() => {
  peak = Math.max(peak, rss(ccr.pid));
}, 50);
{
  const lanes = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const p = await pair(`own${i}`);
      return {
        ...p,
        work: `${dir}/own-work${i}`,
        chain: await commitChain(p.ccr, `${dir}/own-work${i}`, p.thread, 2 * perPusher),
      };
    }),
  );
  const round = async (to: 'ccr' | 'nginx', half: 0 | 1) =>
    time(() =>
      Promise.all(
        lanes.map(async (l) => {
          for (const sha of l.chain.slice(half * perPusher, (half + 1) * perPusher))
            await gitCli(l.work, ['push', '-q', l[to], `${sha}:refs/heads/main`]);
        }),
      ),
    );
  // Each server gets every commit once, in two halves, alternately: drift of the machine hits both.
  const tc = await round('ccr', 0);
  const tg = await round('nginx', 0);
  const tc2 = await round('ccr', 1);
  const tg2 = await round('nginx', 1);
  const pushes = 8 * 2 * perPusher;
  report('8 pushers, each on its own record, pushes/s', pushes / ((tc + tc2) / 1000), '/s', {
    name: 'nginx',
    value: pushes / ((tg + tg2) / 1000),
  });
  // The first half holds each record's first pushes and the validator threads' first compiling.
  console.log(`  by half: ${(tg / tc).toFixed(2)}×, then ${(tg2 / tc2).toFixed(2)}× nginx`);
}

// (5) 8 pushers on one record: write a message, push, on refusal fetch, reset and write it again.
{
  const p = await pair('shared');
  const accepted = async (url: string, tag: string) => {
    let ok = 0;
    const took = await time(() =>
      Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const work = `${dir}/shared-${tag}${i}`;
          await gitCli('/', ['clone', '-q', url, work]);
          for (let k = 0; k < perPusher; k++) {
            for (;;) {
              const svc = await CoordinationService.at(work);
              await svc.addMessage(author, place, p.thread, {
                author: { id: jane.participant_id, name: jane.display_name },
                body: `${body} (${tag} ${i}.${k})`,
              });
              const r = await gitCli(work, ['push', '-q', 'origin', 'main']).then(
                () => true,
                () => false,
              );
              if (r) {
                ok++;
                break;
              }
              await gitCli(work, ['fetch', '-q', 'origin']);
              await gitCli(work, ['reset', '-q', '--hard', 'origin/main']);
            }
          }
        }),
      ),
    );
    return ok / (took / 1000);
  };
  const c = await accepted(p.ccr, 'c');
  const g = await accepted(p.nginx, 'g');
  report('8 pushers on one record (fetch and retry), accepted/s', c, '/s', { name: 'nginx', value: g });
}
clearInterval(sampler);
await new Promise((r) => setTimeout(r, 5000));
const after = rss(ccr.pid);
console.log(
  `CCR server RSS: idle ${idle.toFixed(0)} MB, peak under the pushers ${peak.toFixed(0)} MB, 5 s after ${after.toFixed(0)} MB (${((after / idle - 1) * 100).toFixed(0)} % above idle)`,
);
stopServers();
