// Benchmark: two CCR servers, A and B, side by side: the machine's CPU a push and the throughput
// of 8 pushers each on its own record, in rounds that take turns (A B, then B A, ...), so that a
// change of a few per cent shows through the spread of versusGit (±10 % between runs). On 2 cores
// throughput of many pushers is the CPU each push costs; this counts it: the machine's (/proc/stat)
// and each server's own, with what it started, which also counts a server's upkeep that runs during
// the other's round.
// Usage: node dist/bench/abCpu.js [rounds] [pushes per pusher a round]
// What differs: CCR_AB_ARGS_A / CCR_AB_ARGS_B (node options; unset, those of `npm start`),
// CCR_AB_ENV_B ("K=V K=V", B's environment), CCR_AB_BUNDLE_B (another build's
// dist/bundle/ccr.cjs). With none, A and B are the same: the ratio then shows the noise.

import { mkdirSync } from 'node:fs';
import { apiRecord, commitChain, gitCli } from './fixtures.js';
import { serveNodeOptions, startCcr, stopServers } from './gitServers.js';
import { busyMs, envWords, scratch, time, treeCpuMs } from './util.js';

const rounds = Number(process.argv[2] ?? 8);
const perPusher = Number(process.argv[3] ?? 16);
const dir = scratch('abcpu');
const args = (name: string) => (process.env[name] === undefined ? serveNodeOptions() : envWords(name));
const envB = Object.fromEntries(envWords('CCR_AB_ENV_B').map((kv) => kv.split(/=(.*)/s, 2) as [string, string]));

const servers = {
  A: await startCcr(`${dir}/a`, undefined, {}, args('CCR_AB_ARGS_A')),
  B: await startCcr(`${dir}/b`, process.env['CCR_AB_BUNDLE_B'], envB, args('CCR_AB_ARGS_B')),
};
process.stderr.write('  preparing records and commits\n');
const lanes = {} as Record<'A' | 'B', Array<{ url: string; work: string; chain: string[] }>>;
for (const side of ['A', 'B'] as const) {
  mkdirSync(`${dir}/work${side}`);
  lanes[side] = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      const rec = await apiRecord({ url: servers[side].url });
      const work = `${dir}/work${side}/${i}`;
      return { url: rec.url, work, chain: await commitChain(rec.url, work, rec.thread, (1 + rounds) * perPusher) };
    }),
  );
}

const used = { A: { cpu: 0, wall: 0 }, B: { cpu: 0, wall: 0 } };
const serverCpu = () => ({ A: treeCpuMs(servers.A.pid), B: treeCpuMs(servers.B.pid) });
let counted = serverCpu();
const pushes = 8 * perPusher;
// Round 0 warms both servers (their threads' first compiling, the records' first packs): not counted.
for (let r = 0; r <= rounds; r++) {
  const round: string[] = [];
  for (const side of r % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
    const before = busyMs();
    const wall = await time(() =>
      Promise.all(
        lanes[side].map(async (l) => {
          for (const sha of l.chain.slice(r * perPusher, (r + 1) * perPusher))
            await gitCli(l.work, ['push', '-q', l.url, `${sha}:refs/heads/main`]);
        }),
      ),
    );
    const cpu = busyMs() - before;
    if (r > 0) {
      used[side].cpu += cpu;
      used[side].wall += wall;
    }
    round.push(`${side} ${(cpu / pushes).toFixed(1)} ms CPU, ${((pushes / wall) * 1000).toFixed(1)}/s`);
  }
  process.stderr.write(`  ${r ? `round ${r} of ${rounds}` : 'warming'}: ${round.join('; ')}\n`);
  if (r === 0) counted = serverCpu();
}
// A last upkeep (10 s after a burst) belongs to the rounds: waited for, then counted.
await new Promise((r) => setTimeout(r, 12_000));
const ended = serverCpu();
const all = rounds * pushes;
const own = { A: ended.A - counted.A, B: ended.B - counted.B };
for (const side of ['A', 'B'] as const)
  console.log(
    `${side}: machine CPU a push ${(used[side].cpu / all).toFixed(1)} ms, the server's own ${(own[side] / all).toFixed(1)} ms, ${((all / used[side].wall) * 1000).toFixed(1)} pushes/s`,
  );
console.log(
  `B ÷ A: CPU a push ${(used.B.cpu / used.A.cpu).toFixed(3)}× (the servers' own ${(own.B / own.A).toFixed(3)}×), throughput ${(used.A.wall / used.B.wall).toFixed(3)}×`,
);
stopServers();
