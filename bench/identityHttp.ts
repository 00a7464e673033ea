// Benchmark: identity at scale, end to end. A real `ccr serve` (a child process) on a data folder
// with 10 principals against one on a folder with 1,000,000 (each with a token), measured in one
// run, alternately: server start until /healthz answers; a token check (an authenticated GET: a
// participant lists its own tokens); a principal creation over the API (one fsynced transaction);
// a "my records" page (GET /api/records as a participant). Each per-request figure is given as
// wall time and as the server's CPU time per request (utime + stime of the server process, from
// /proc/<pid>/stat), since wall time on a shared machine is noisy. Memory: each server's RSS at
// the end. Target: every ratio 1,000,000 / 10 ≤ 1.2.
// The million are created in bulk at store level (one transaction, keyed hashes, no scrypt) in a
// temporary folder removed at exit. "My records": both folders hold the same 10 real records made
// through the API (participants p0…p9); the server's start reconciles the index with the records
// on disk, so index rows for records that do not exist cannot be planted. The index at millions of
// rows is measured at store level by bench/identity.ts.
// Usage: node dist/bench/identityHttp.js [principals] [rounds]

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { openHasher } from '../store/tokenHash.js';
import type { ImportedPrincipal } from '../store/sqlite/identityStore.js';
import { openIdentityStores } from '../store/sqlite/open.js';
import { gitEnv } from '../git/run.js';
import { TOKEN, place } from './fixtures.js';
import { freePort } from './gitServers.js';
import { median, report, scratch } from './util.js';

const big = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
const SMALL = 10;
const RECORDS = 10;
const ccr = new URL('../bundle/ccr.cjs', import.meta.url).pathname;

/** A deterministic UUID-shaped id for number i of a kind. */
const uuid = (kind: string, i: number) => {
  const h = createHash('sha256').update(`${kind}${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const tokenOf = (i: number) => `ccr_bench-token-${i}`;
const binding = (i: number) => ({
  participant_id: uuid('participant', i),
  role: 'clinician' as const,
  display_name: `Dr Number ${i}`,
});

/** Fill a data folder with `n` participant principals (and an admin), in bulk; progress on stderr. */
async function fill(n: number): Promise<{ data: string; ms: number }> {
  const data = scratch(`identity-http-${n}`);
  const started = performance.now();
  const stores = await openIdentityStores(data, { actor: 'server' });
  const hasher = await openHasher(`${data}/token.key`, stores.identity);
  const created = new Date().toISOString();
  const step = Math.max(1, Math.floor(n / 10));
  function* principals(): Generator<ImportedPrincipal> {
    yield { principal: { name: 'admin', kind: 'admin' }, created_at: created, token: { hash: hasher.hash(TOKEN) } };
    for (let i = 0; i < n; i++) {
      if (n >= 1000 && i % step === 0) {
        process.stderr.write(
          `  building ${n.toLocaleString('en')} principals: ${i.toLocaleString('en')} ` +
            `(${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
      }
      yield {
        principal: { name: `p${i}`, kind: 'participant', ...binding(i) },
        created_at: created,
        token: { hash: hasher.hash(tokenOf(i)) },
      };
    }
  }
  stores.identity.importPrincipals(principals(), { actor: 'bench' });
  await stores.close();
  const ms = performance.now() - started;
  if (n >= 1000) process.stderr.write(`  built ${n.toLocaleString('en')} principals in ${(ms / 1000).toFixed(1)} s\n`);
  return { data, ms };
}

interface Served {
  url: string;
  pid: number;
  child: ChildProcess;
  /** ms from spawn until /healthz answered 200. */
  startMs: number;
  /** CPU ms the server had used by then (all threads). */
  startCpuMs: number;
  agent: Agent;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
// Interrupted: exit normally, so that the servers are stopped and the folders removed (exit handlers).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

async function serve(data: string): Promise<Served> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [ccr, 'serve', '--data', data, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...gitEnv(), CCR_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let exited: number | null | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      children.delete(child);
      resolve();
    }),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (;;) {
    if (exited !== undefined) throw new Error(`ccr serve exited ${exited}: ${err}`);
    const status = await call(url, agent, 'GET', '/healthz').then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() - t0 > 120_000) throw new Error(`ccr serve did not answer /healthz within 120 s: ${err}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const startMs = performance.now() - t0;
  return {
    url,
    pid: child.pid!,
    child,
    startMs,
    startCpuMs: cpuMs(child.pid!),
    agent,
    stop: async () => {
      agent.destroy();
      if (exited === undefined) child.kill('SIGTERM');
      await gone;
    },
  };
}

const basic = (name: string, token: string) => `Basic ${Buffer.from(`${name}:${token}`).toString('base64')}`;

/** One HTTP request; resolves with status and body. */
function call(
  base: string,
  agent: Agent,
  method: string,
  path: string,
  auth?: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth) headers['Authorization'] = auth;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const req = request(`${base}${path}`, { method, headers, agent }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        b += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * CPU time (ms) the process has used so far, all its threads: the first field of each thread's
 * /proc/<pid>/task/<tid>/schedstat, in nanoseconds (utime + stime of /proc/<pid>/stat count in
 * 10 ms ticks, too coarse for a request).
 */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}
/** The server's memory (MiB): resident in all, its anonymous part (heap, stacks) and its file part (the mapped database, code). */
function memory(pid: number): { rss: number; anon: number; file: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)![1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM') };
}

// Deterministic pseudo-random picks, the same sequence for both servers.
let seed = 12345;
const pick = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

/** `count` requests one after another; each one's wall µs, and the server's mean CPU µs per request. */
async function measure(
  s: Served,
  count: number,
  one: (i: number) => Promise<void>,
): Promise<{ walls: number[]; cpu: number }> {
  const c0 = cpuMs(s.pid);
  const walls: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await one(i);
    walls.push((performance.now() - t0) * 1000);
  }
  return { walls, cpu: ((cpuMs(s.pid) - c0) * 1000) / count };
}

const expect = (r: { status: number; body: string }, status: number, what: string) => {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body}`);
  return r;
};

interface Side {
  label: string;
  n: number;
  data: string;
  server?: Served;
  created: number;
}

const CHECKS = 1000;
const PAGES = 1000;
const CREATIONS = 50;
const tokenCheck = (s: Side) =>
  measure(s.server!, CHECKS, async () => {
    const i = pick(s.n);
    expect(
      await call(s.server!.url, s.server!.agent, 'GET', `/api/principals/p${i}/tokens`, basic(`p${i}`, tokenOf(i))),
      200,
      'token check',
    );
  });
const myRecordsPage = (s: Side) =>
  measure(s.server!, PAGES, async () => {
    const i = pick(RECORDS);
    const r = expect(
      await call(s.server!.url, s.server!.agent, 'GET', '/api/records', basic(`p${i}`, tokenOf(i))),
      200,
      'my records',
    );
    if ((JSON.parse(r.body) as { records: string[] }).records.length !== 2)
      throw new Error(`p${i} should take part in two records: ${r.body}`);
  });
const creation = (s: Side) =>
  measure(s.server!, CREATIONS, async () => {
    const k = s.created++;
    expect(
      await call(s.server!.url, s.server!.agent, 'POST', '/api/principals', basic('admin', TOKEN), {
        name: `new-${k}`,
        kind: 'participant',
        ...binding(10_000_000 + k),
      }),
      201,
      'principal creation',
    );
  });

/** Ten records through the API; record k has participants p(k) and p(k+1 mod 10). */
async function makeRecords(s: Served): Promise<void> {
  for (let k = 0; k < RECORDS; k++) {
    expect(
      await call(s.url, s.agent, 'POST', '/api/records', basic('admin', TOKEN), {
        clinical_id: uuid('clinical', k),
        care_location: place,
        thread: { participants: [binding(k), binding((k + 1) % RECORDS)] },
      }),
      201,
      'record creation',
    );
  }
  // The index is written after each creation, in the background: wait until every page is whole.
  const until = performance.now() + 60_000;
  for (let i = 0; i < RECORDS; i++) {
    for (;;) {
      const r = await call(s.url, s.agent, 'GET', '/api/records', basic(`p${i}`, tokenOf(i)));
      if (r.status === 200 && (JSON.parse(r.body) as { records: string[] }).records.length === 2) break;
      if (performance.now() > until) throw new Error(`the index did not list p${i}'s records: ${r.status} ${r.body}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }
}

console.log(
  `identity over HTTP: ccr serve with ${big.toLocaleString('en')} principals vs ${SMALL}, ${rounds} alternating rounds`,
);
const small: Side = { label: `${SMALL}`, n: SMALL, ...(await fill(SMALL)), created: 0 };
const largeFill = await fill(big);
const large: Side = { label: big.toLocaleString('en'), n: big, data: largeFill.data, created: 0 };
report(`bulk creation of ${big.toLocaleString('en')} principals with tokens`, largeFill.ms / 1000, 's');
const sides = [small, large];
const results: Record<string, Record<'small' | 'large', number[]>> = {};
const note = (name: string, which: 'small' | 'large', ...v: number[]) => {
  (results[name] ??= { small: [], large: [] })[which].push(...v);
};
const order = (r: number): Array<['small' | 'large', Side]> =>
  r % 2
    ? [
        ['large', large],
        ['small', small],
      ]
    : [
        ['small', small],
        ['large', large],
      ];

try {
  // Server start: spawn until /healthz answers, each folder in turn.
  for (let r = 0; r < rounds + 1; r++) {
    for (const [which, side] of order(r)) {
      const s = await serve(side.data);
      if (r > 0) {
        // the first start of each warms the page cache
        note('server start until /healthz answers: wall (ms)', which, s.startMs);
        note('server start until /healthz answers: server CPU (ms)', which, s.startCpuMs);
      }
      await s.stop();
    }
  }
  for (const side of sides) side.server = await serve(side.data);
  for (const side of sides) await makeRecords(side.server!);
  for (const side of sides) {
    await tokenCheck(side);
    await myRecordsPage(side);
  } // warm both
  for (let r = 0; r < rounds; r++) {
    for (const [which, side] of order(r)) {
      const t = await tokenCheck(side);
      note('token check: wall (µs)', which, ...t.walls);
      note('token check: server CPU (µs)', which, t.cpu);
      const m = await myRecordsPage(side);
      note('"my records" page: wall (µs)', which, ...m.walls);
      note('"my records" page: server CPU (µs)', which, m.cpu);
      const c = await creation(side);
      note('principal creation: wall (µs)', which, ...c.walls);
      note('principal creation: server CPU (µs)', which, c.cpu);
    }
  }
  console.log(
    `${rounds} rounds of ${CHECKS} token checks, ${PAGES} pages, ${CREATIONS} creations, one request at a time; wall: median ` +
      `request of all rounds; server CPU: median of the rounds' means; ratio = ${large.label} / ${small.label}`,
  );
  for (const [name, r] of Object.entries(results)) {
    const [what, unit] = /^(.*) \((.*)\)$/.exec(name)!.slice(1) as [string, string];
    report(`${what}, ${small.label}`, median(r.small), unit);
    report(`${what}, ${large.label}`, median(r.large), unit, { name: small.label, value: median(r.small) });
  }
  for (const side of sides) {
    const m = memory(side.server!.pid);
    report(`server memory, ${side.label} principals: RSS at the end`, m.rss, 'MiB');
    report(`  of it anonymous (JS heap, native, stacks)`, m.anon, 'MiB');
    report(`  of it file pages (mapped database pages, code)`, m.file, 'MiB');
    report(`server memory, ${side.label} principals: RSS peak`, m.hwm, 'MiB');
  }
  report(`database file, ${large.label} principals`, statSync(`${large.data}/identity.sqlite`).size / 2 ** 20, 'MiB');
} finally {
  for (const side of sides) await side.server?.stop();
}
