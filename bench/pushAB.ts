// Benchmark: one-message pushes to two builds of CCR in one run, alternating, so that the drift of
// a shared machine hits both alike (issue 17: on this machine single-push figures drift by more than
// most changes between runs). Each build runs as `ccr serve` (its bundled command), with its own
// data folder and record; the same kind of pre-built commits are pushed with the git CLI.
// Usage: node dist/bench/pushAB.js <before: another build's dist/bundle/ccr.js> [pushes]
//        (default: this build against itself, a check that the harness is fair)

import { spawn, type ChildProcess } from 'node:child_process';
import { TOKEN, apiRecord, commitChain, gitCli } from './fixtures.js';
import { freePort } from './gitServers.js';
import { median, report, scratch, time } from './util.js';

const thisBuild = new URL('../bundle/ccr.js', import.meta.url).pathname;
const before = process.argv[2] ?? thisBuild;
const n = Number(process.argv[3] ?? 30);
const dir = scratch('pushab');
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** A server of one build with a record and `count` one-message commits ready to push. */
async function serverOf(name: string, bundle: string, port: number) {
  const child = spawn(process.execPath, [bundle, 'serve', '--data', `${dir}/${name}`, '--port', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, CCR_ADMIN_TOKEN: TOKEN, CCR_LOG_FORMAT: 'json' },
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rec = await apiRecord({ url });
  const work = `${dir}/work-${name}`;
  return { rec, work, chain: await commitChain(rec.url, work, rec.thread, n + 3), times: [] as number[] };
}

const servers = {
  before: await serverOf('before', before, await freePort()),
  after: await serverOf('after', thisBuild, await freePort()),
};
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
for (const c of children) c.kill('SIGTERM');
