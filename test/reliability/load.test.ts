// Load: many clients at once mixing clones, fetches and pushes over many records, then the same
// with hostile traffic alongside (slow clients, a stream of bad credentials, oversized bodies).
// No error but the expected "fetch first" retries, no lost message, bounded server memory.
// CCR_RELIABILITY_LONG=1: 50 clients, 60 s, 1,000 records (docs/reliability.md).

import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { parseMessages } from '../../core/messages/grammar.js';
import { pushMain } from '../../git/remote.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const long = process.env['CCR_RELIABILITY_LONG'] === '1';
const admin = { name: 'admin', token: ADMIN_TOKEN };

interface Load {
  server: ServerProcess;
  base: string;
  data: string;
  records: Array<{ id: string; thread: string }>;
}

async function setUp(t: Test, count: number, extra: string[] = []): Promise<Load> {
  const data = tempDir(t);
  const port = await freePort();
  const server = await serveProcess(
    ['--data', data, '--port', String(port), ...extra],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
    undefined,
    true,
  );
  t.teardown(() => killGroup(server));
  const base = `http://127.0.0.1:${port}`;
  const records: Load['records'] = [];
  for (let i = 0; i < count; i++) {
    const r = await send(`${base}/api/records`, {
      method: 'POST',
      auth: admin,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clinical_id: clinicalId, care_location: place, thread: { participants: [jane] } }),
    });
    const b = JSON.parse(r.body.toString()) as { coordination_id: string; thread_id: string };
    records.push({ id: b.coordination_id, thread: b.thread_id });
  }
  return { server, base, data, records };
}

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

/** Clients mixing clones (20 %), fetches (30 %) and pushes (50 %) for `seconds`. */
async function clients(t: Test, load: Load, count: number, seconds: number) {
  const url = (id: string) => {
    const u = new URL(`${load.base}/coordination/${id}.git`);
    u.username = 'admin';
    u.password = ADMIN_TOKEN;
    return u.toString();
  };
  const latency: Record<'clone' | 'fetch' | 'push', number[]> = { clone: [], fetch: [], push: [] };
  const errors: string[] = [];
  const acknowledged = new Map<string, string[]>();
  let retries = 0;
  const end = Date.now() + seconds * 1000;
  const client = async (c: number) => {
    const work = tempDir(t);
    const clones = new Map<string, string>();
    for (let n = 0; Date.now() < end; n++) {
      const rec = load.records[randomInt(load.records.length)]!;
      const roll = randomInt(100);
      const started = performance.now();
      try {
        if (roll < 20) {
          const dir = `${work}/x${n}`;
          const r = await gitRun('/', ['clone', '-q', url(rec.id), dir]);
          if (r.status !== 0) throw new Error(`clone: ${r.stderr}`);
          latency.clone.push(performance.now() - started);
          rmSync(dir, { recursive: true, force: true });
          continue;
        }
        let dir = clones.get(rec.id);
        if (!dir) {
          dir = `${work}/${rec.id}`;
          await gitOk('/', ['clone', '-q', url(rec.id), dir]);
          clones.set(rec.id, dir);
        }
        if (roll < 50) {
          const r = await gitRun(dir, ['pull', '-q', '--ff-only']);
          if (r.status !== 0) throw new Error(`fetch: ${r.stderr}`);
          latency.fetch.push(performance.now() - started);
          continue;
        }
        const body = `client ${c} push ${n}`;
        const o = { dir, env: testGitEnv() };
        for (;;) {
          await (
            await CoordinationService.at(dir)
          ).addMessage(committer, place, rec.thread, { author: as(jane), body });
          const r = await pushMain(o);
          if (r.outcome === 'accepted') break;
          if (r.outcome !== 'behind') throw new Error(`push: ${JSON.stringify(r)}`);
          retries++;
          await gitOk(dir, ['fetch', '-q', 'origin']);
          await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
        }
        latency.push.push(performance.now() - started);
        acknowledged.set(rec.id, [...(acknowledged.get(rec.id) ?? []), body]);
      } catch (e) {
        errors.push((e as Error).message.slice(0, 300));
      }
    }
  };
  await Promise.all(Array.from({ length: count }, (_, c) => client(c)));
  return { latency, errors, acknowledged, retries };
}

/** Every acknowledged message is in its record, once. */
async function nothingLost(load: Load, acknowledged: Map<string, string[]>): Promise<string[]> {
  const lost: string[] = [];
  for (const rec of load.records) {
    const want = acknowledged.get(rec.id) ?? [];
    if (want.length === 0) continue;
    const gitdir = `${load.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`;
    const bodies = parseMessages(
      await gitOk(gitdir, ['--git-dir', gitdir, 'show', `main:communications/${rec.thread}/messages.md`]),
    ).messages.map((m) => m.body);
    for (const b of want) if (bodies.filter((x) => x === b).length !== 1) lost.push(`${rec.id}: ${b}`);
  }
  return lost;
}

/** Peak resident memory of a process (VmHWM), in MiB. */
const peakMiB = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

t.test('many clients mixing clones, fetches and pushes over many records', { timeout: 3_600_000 }, async (t) => {
  const load = await setUp(t, long ? 1000 : 40);
  const { latency, errors, acknowledged, retries } = await clients(t, load, long ? 50 : 10, long ? 60 : 8);
  const summary = (['clone', 'fetch', 'push'] as const)
    .map(
      (k) =>
        `${k} ${latency[k].length} p50 ${quantile(latency[k], 0.5).toFixed(0)} ms p99 ${quantile(latency[k], 0.99).toFixed(0)} ms`,
    )
    .join(', ');
  const peak = peakMiB(load.server.child.pid!);
  t.comment(`${summary}; fetch-first retries ${retries}; server peak RSS ${peak.toFixed(0)} MiB`);
  t.same(errors, [], 'no error but fetch-first retries');
  t.same(await nothingLost(load, acknowledged), [], 'no acknowledged message lost or doubled');
  t.ok(latency.push.length > 0 && latency.clone.length > 0 && latency.fetch.length > 0, 'every kind of operation ran');
  t.ok(peak < 1024, `server memory stays bounded (peak ${peak.toFixed(0)} MiB)`);
});

t.test(
  'slow clients, bad credentials and oversized bodies do not stop normal traffic',
  { timeout: 3_600_000 },
  async (t) => {
    const load = await setUp(t, 10);
    const port = Number(new URL(load.base).port);
    const seconds = long ? 60 : 8;
    const end = Date.now() + seconds * 1000;
    const sockets: Socket[] = [];
    let rejected = 0;
    let tooLarge = 0;
    const slowloris = async () => {
      for (let i = 0; i < 200 && Date.now() < end; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
        sockets.push(s);
        await new Promise((r) => setTimeout(r, 20));
      }
      while (Date.now() < end) {
        for (const s of sockets) if (!s.destroyed) s.write('X-Slow: 1\r\n');
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    const badCredentials = async () => {
      while (Date.now() < end) {
        const r = await send(`${load.base}/api/records`, {
          auth: { name: 'admin', token: `ccr_${randomBytes(8).toString('hex')}` },
        }).catch(() => null);
        if (r?.status === 401) rejected++;
      }
    };
    const oversized = async () => {
      while (Date.now() < end) {
        const r = await send(`${load.base}/coordination/${load.records[0]!.id}.git/git-receive-pack`, {
          method: 'POST',
          auth: admin,
          headers: {
            'Content-Type': 'application/x-git-receive-pack-request',
            'Content-Length': String(300 * 1024 * 1024),
          },
          body: randomBytes(64 * 1024),
        }).catch(() => null);
        if (r?.status === 413) tooLarge++;
      }
    };
    const [normal] = await Promise.all([
      clients(t, load, 4, seconds),
      slowloris(),
      ...Array.from({ length: 8 }, badCredentials),
      oversized(),
      oversized(),
    ]);
    for (const s of sockets) s.destroy();
    const summary = (['clone', 'fetch', 'push'] as const)
      .map((k) => `${k} ${normal.latency[k].length} p99 ${quantile(normal.latency[k], 0.99).toFixed(0)} ms`)
      .join(', ');
    t.comment(
      `normal: ${summary}; bad credentials refused ${rejected}; oversized bodies refused ${tooLarge}; slow connections ${sockets.length}`,
    );
    t.same(normal.errors, [], 'normal traffic keeps working');
    t.ok(normal.latency.push.length > 0, 'pushes went through');
    t.ok(rejected > 0 && tooLarge > 0, 'the hostile traffic was answered');
    t.same(await nothingLost(load, normal.acknowledged), []);
  },
);
