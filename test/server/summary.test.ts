// GET /api/records/<id> under a crowd: 16 clients reading the summary of a ~12 MiB record must
// not slow /healthz or another user's small request, because files are parsed on reader threads
// (cached by blob id), never on the event loop. Figures: docs/reliability.md.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import t, { type Test } from 'tap';
import type { ServerOptions } from '../../server/context.js';
import { addBigThread } from '../helpers/bigThread.js';
import { startCrowd } from '../helpers/crowdProcess.js';
import { jane, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { send } from '../helpers/wire.js';

const CLIENTS = 16;
const SAMPLES = 40;
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

/** Time `n` requests of /healthz and of Tom's small summary, one after the other. */
async function sample(
  s: TestServer,
  tom: Creds,
  small: string,
  n: number,
): Promise<{ healthz: number[]; small: number[] }> {
  const out = { healthz: [] as number[], small: [] as number[] };
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    const h = await send(`${s.url}/healthz`, {});
    out.healthz.push(performance.now() - t0);
    t0 = performance.now();
    const r = await send(`${s.url}/api/records/${small}`, { auth: tom });
    out.small.push(performance.now() - t0);
    if (h.status !== 200 || r.status !== 200) throw new Error(`healthz ${h.status}, small summary ${r.status}`);
  }
  return out;
}

async function crowd(t: Test, options: Partial<ServerOptions>): Promise<void> {
  const s = await testServer(t, options);
  const cast = await castPrincipals(s);
  const small = (
    await s.record({ participants: [tom], message: { author_id: tom.participant_id, body: 'A short note.' } })
  ).id;
  const big = await s.record({ participants: [jane] });
  const made = await addBigThread(s.server.context.records.path(big.id as never), 12 * 1024 * 1024);
  const summary = await s.api('GET', `/api/records/${big.id}`, cast.jane);
  const counted = summary.body.threads.find((x: { thread_id: string }) => x.thread_id === made.thread)?.message_count;
  t.equal(counted, made.messages, `the big thread counts ${made.messages} messages`);

  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const quiet = await sample(s, cast.tom, small, SAMPLES);
  delay.disable();
  const quietLoop = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  delay.reset();

  // The crowd, in a process of its own, reads until the sampler is done: bounded by the sampler's
  // work, not by a clock.
  delay.enable();
  const url = `${s.url}/api/records/${big.id}`;
  const crowd = await startCrowd(t, {
    url,
    names: [cast.jane.name],
    token: cast.jane.token,
    clients: CLIENTS,
    expect: 200,
  });
  await new Promise((r) => setTimeout(r, 200));
  const loud = await sample(s, cast.tom, small, SAMPLES);
  delay.disable();
  crowd.stop();
  const { requests: reads, other: wrong } = await crowd.done;
  const loudLoop = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };

  const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms`;
  const loop = (l: { p99: number; max: number }) => `event loop p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`;
  t.comment(`alone:        /healthz ${fmt(quiet.healthz)}; small summary ${fmt(quiet.small)}; ${loop(quietLoop)}`);
  t.comment(
    `${CLIENTS} readers: /healthz ${fmt(loud.healthz)}; small summary ${fmt(loud.small)}; ${loop(loudLoop)}; ` +
      `${reads} big summaries read`,
  );
  t.same(wrong, [], 'every read of the big summary was answered');
  t.ok(reads >= CLIENTS, `the crowd read ${reads} summaries meanwhile`);
  // Before the reader threads: /healthz p95 ~2 s, the small summary p95 5-7 s, the event loop held
  // up to ~1 s at p99 (issue 11.5; docs/reliability.md). The bounds leave room for a busy machine.
  for (const [what, xs, alone] of [
    ['/healthz', loud.healthz, quiet.healthz],
    ['the small summary', loud.small, quiet.small],
  ] as const) {
    const bound = Math.max(1000, 5 * quantile(alone, 0.95));
    const p95 = quantile(xs, 0.95);
    t.ok(p95 < bound, `${what} stays fast under the crowd: p95 ${p95.toFixed(1)} ms < ${bound.toFixed(0)} ms`);
  }
  const loopBound = Math.max(250, 3 * quietLoop.p99);
  t.ok(
    loudLoop.p99 < loopBound,
    `the event loop is not held up: p99 delay ${loudLoop.p99.toFixed(1)} ms < ${loopBound.toFixed(0)} ms`,
  );
}

t.test(
  '16 readers of a 12 MiB record do not slow anyone else (results cached by blob id)',
  { timeout: 240_000 },
  async (t) => {
    await crowd(t, {});
  },
);

t.test(
  'nor when nothing is cached and every read parses the record again, off the event loop',
  { timeout: 240_000 },
  async (t) => {
    await crowd(t, { readerCacheBytes: 0 });
  },
);
