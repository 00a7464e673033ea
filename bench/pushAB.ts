// Benchmark: one-message pushes to two builds of CCR in one run, alternating, so that the drift of
// a shared machine hits both alike (issue 17: on this machine single-push figures drift by more than
// most changes between runs). Each build runs as `ccr serve` (its bundled command), with its own
// data folder and record; the same kind of pre-built commits are pushed with the git CLI.
// Usage: node dist/bench/pushAB.js <before: another build's dist/bundle/ccr.cjs> [pushes]
//        (default: this build against itself, a check that the harness is fair; `env:NAME=value`:
//        this build with that variable in the before server's environment, e.g. CCR_JUDGE_AHEAD=0)

import { apiRecord, commitChain, gitCli } from './fixtures.js';
import { startCcr, stopServers } from './gitServers.js';
import { median, report, scratch, time } from './util.js';

const thisBuild = new URL('../bundle/ccr.cjs', import.meta.url).pathname;
const arg = process.argv[2] ?? thisBuild;
if (arg.startsWith('env:') && !arg.includes('=')) throw new Error(`expected env:NAME=value, found ${arg}`);
const [before, beforeEnv] = arg.startsWith('env:')
  ? [thisBuild, { [arg.slice(4, arg.indexOf('='))]: arg.slice(arg.indexOf('=') + 1) }]
  : [arg, {}];
const n = Number(process.argv[3] ?? 30);
const dir = scratch('pushab');

/** A server of one build with a record and `count` one-message commits ready to push. */
async function serverOf(name: string, bundle: string, env: NodeJS.ProcessEnv = {}) {
  const { url } = await startCcr(`${dir}/${name}`, bundle, env);
  const rec = await apiRecord({ url });
  const work = `${dir}/work-${name}`;
  return { rec, work, chain: await commitChain(rec.url, work, rec.thread, n + 3), times: [] as number[] };
}

const servers = { before: await serverOf('before', before, beforeEnv), after: await serverOf('after', thisBuild) };
for (let i = 0; i < n + 3; i++)
  for (const k of i % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
    const s = servers[k];
    const took = await time(() => gitCli(s.work, ['push', '-q', s.rec.url, `${s.chain[i]}:refs/heads/main`]));
    if (i >= 3) s.times.push(took);
  }
console.log(`one-message push, ${n} each, alternating (ms); before: ${before}`);
report('before', median(servers.before.times));
report('after (this build)', median(servers.after.times), 'ms', {
  name: 'before',
  value: median(servers.before.times),
});
stopServers();
