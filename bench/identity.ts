// Benchmark: the identity store at scale. A data folder with 1,000,000 participant principals
// (each with a token, each in two records of the "my records" index) against one with 10, in the
// same run, measured alternately so that the machine's load falls on both alike:
// a token check (keyed hash + indexed look-up), a principal creation (one fsynced transaction
// with its token and audit entries), a "my records" page, and opening the store (what a server
// start does with it: open, migrate check, key check, admin count). Memory: each store opened in
// a process of its own, after 20,000 token checks. Target: every ratio ≤ 1.2.
// The million are created in bulk, in one transaction, with keyed hashes (no scrypt).
// Usage: node dist/bench/identity.js [principals] [rounds]

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { TokenAuthenticator } from '../server/identity/tokens.js';
import { openHasher } from '../store/tokenHash.js';
import { myRecords } from '../server/identity/recordIndexer.js';
import type { ImportedPrincipal } from '../store/sqlite/identityStore.js';
import { openIdentityStores, type IdentityStores } from '../store/sqlite/open.js';
import type { TokenHasher } from '../store/tokenHash.js';
import type { Principal } from '../core/principal.js';
import { median, report, scratch } from './util.js';

const big = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 12);
const SMALL = 10;
const server = { actor: 'server' };

/** A deterministic UUID-shaped id for number i of a kind. */
const uuid = (kind: string, i: number) => {
  const h = createHash('sha256').update(`${kind}${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const tokenOf = (i: number) => `ccr_bench-token-${i}`;
const principalOf = (i: number): Principal => ({
  kind: 'participant',
  name: `p${i}`,
  participantId: uuid('participant', i) as never,
  role: 'clinician',
  displayName: `Dr Number ${i}`,
});

/** Fill a data folder with `n` principals and the index, in bulk. */
async function fill(n: number): Promise<{ data: string; ms: number }> {
  const data = scratch(`identity-${n}`);
  const started = performance.now();
  const stores = await openIdentityStores(data, server);
  const hasher = await openHasher(`${data}/token.key`, stores.identity);
  const step = Math.max(1, Math.floor(n / 10));
  const say = (what: string, i: number) => {
    if (n >= 1000 && i % step === 0) {
      process.stderr.write(
        `  building ${n.toLocaleString('en')} ${what}: ${i.toLocaleString('en')} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
      );
    }
  };
  function* principals(): Generator<ImportedPrincipal> {
    yield {
      principal: { name: 'admin', kind: 'admin' },
      created_at: new Date().toISOString(),
      token: { hash: hasher.hash('ccr_admin') },
    };
    for (let i = 0; i < n; i++) {
      say('principals', i);
      yield {
        principal: {
          name: `p${i}`,
          kind: 'participant',
          participant_id: uuid('participant', i),
          role: 'clinician',
          display_name: `Dr Number ${i}`,
        },
        created_at: new Date().toISOString(),
        token: { hash: hasher.hash(tokenOf(i)) },
      };
    }
  }
  stores.identity.importPrincipals(principals(), server);
  // Record r has participants r and r + 1: everyone takes part in two records.
  function* rows() {
    for (let r = 0; r < n; r++) {
      say('index rows (records of two participants)', r);
      yield {
        record: uuid('record', r),
        head: createHash('sha1').update(String(r)).digest('hex'),
        participants: [uuid('participant', r), uuid('participant', (r + 1) % n)],
      };
    }
  }
  stores.records.bulkLoad(rows());
  await stores.records.markComplete();
  await stores.close();
  return { data, ms: performance.now() - started };
}

interface Opened {
  stores: IdentityStores;
  hasher: TokenHasher;
  auth: TokenAuthenticator;
  n: number;
  created: number;
  /** µs per check of writing the last uses a batch of checks noted. */
  flushUs: number[];
}
async function open(data: string, n: number): Promise<Opened> {
  const stores = await openIdentityStores(data, server);
  const hasher = await openHasher(`${data}/token.key`, stores.identity);
  return { stores, hasher, auth: new TokenAuthenticator(stores.identity, hasher), n, created: 0, flushUs: [] };
}

// Deterministic pseudo-random picks, the same sequence for both stores.
let seed = 12345;
const pick = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

/** Mean µs per operation of `count` operations. */
async function perOp(count: number, op: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op();
  return ((performance.now() - t0) * 1000) / count;
}

const checks = async (o: Opened) => {
  const us = await perOp(2000, async () => {
    const i = pick(o.n);
    if (!(await o.auth.verify(`p${i}`, tokenOf(i)))) throw new Error(`token ${i} refused`);
  });
  // The last uses those checks noted are written apart (in the background in a server), timed on their own.
  const pending = 2000;
  const t0 = performance.now();
  o.stores.identity.flushUses();
  o.flushUs.push(((performance.now() - t0) * 1000) / pending);
  return us;
};
const creations = async (o: Opened) =>
  perOp(10, async () => {
    const name = `new-${o.created++}`;
    await o.stores.identity.createPrincipal({ name, kind: 'auditor' }, { hash: o.hasher.hash(`ccr_${name}`) }, server);
  });
const pages = async (o: Opened) =>
  perOp(2000, async () => {
    const page = await myRecords(o.stores.records, principalOf(pick(o.n)), undefined, '100');
    if (page.records.length !== 2) throw new Error('expected two records');
  });
const openings = async (data: string) =>
  perOp(5, async () => {
    const stores = await openIdentityStores(data, server);
    await openHasher(`${data}/token.key`, stores.identity);
    if ((await stores.identity.count('admin')) !== 1) throw new Error('expected one admin');
    await stores.close();
  });

if (process.argv[2] === '--memory') {
  // A child: open one store, check tokens, report memory.
  const data = process.argv[3]!;
  const n = Number(process.argv[4]);
  const o = await open(data, n);
  for (let r = 0; r < 10; r++) await checks(o);
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rss: m.rss, heap: m.heapUsed, external: m.external }) + '\n');
  await o.stores.close();
} else {
  console.log(`identity store: ${big.toLocaleString('en')} principals vs ${SMALL}, ${rounds} alternating rounds`);
  const small = await fill(SMALL);
  const large = await fill(big);
  report(`bulk creation of ${big.toLocaleString('en')} principals with tokens and index`, large.ms / 1000, 's');
  const s = await open(small.data, SMALL);
  const l = await open(large.data, big);
  for (const o of [s, l]) await checks(o); // warm both
  const results: Record<string, { small: number[]; large: number[] }> = {
    'token check': { small: [], large: [] },
    'principal creation': { small: [], large: [] },
    '"my records" page': { small: [], large: [] },
    'store opening (server start)': { small: [], large: [] },
  };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so that neither always meets the other's aftermath.
    const order: Array<['small' | 'large', Opened, string]> =
      r % 2
        ? [
            ['large', l, large.data],
            ['small', s, small.data],
          ]
        : [
            ['small', s, small.data],
            ['large', l, large.data],
          ];
    for (const [which, o, data] of order) {
      results['token check']![which].push(await checks(o));
      results['principal creation']![which].push(await creations(o));
      results['"my records" page']![which].push(await pages(o));
      results['store opening (server start)']![which].push(await openings(data));
    }
  }
  await s.stores.close();
  await l.stores.close();
  console.log(`median of ${rounds} rounds, per operation (µs); ratio = ${big.toLocaleString('en')} / ${SMALL}`);
  for (const [name, r] of Object.entries(results)) {
    report(`${name}, ${SMALL} principals`, median(r.small), 'µs');
    report(`${name}, ${big.toLocaleString('en')} principals`, median(r.large), 'µs', {
      name: `${SMALL}`,
      value: median(r.small),
    });
  }
  report(
    `last-use write per token check, ${SMALL} principals (${SMALL} distinct tokens a batch)`,
    median(s.flushUs),
    'µs',
  );
  report(
    `last-use write per token check, ${big.toLocaleString('en')} principals (~2,000 distinct a batch)`,
    median(l.flushUs),
    'µs',
  );
  const self = new URL(import.meta.url).pathname;
  for (const [label, data, n] of [
    [`${SMALL}`, small.data, SMALL],
    [big.toLocaleString('en'), large.data, big],
  ] as const) {
    const out = spawnSync(process.execPath, [self, '--memory', data, String(n)], { encoding: 'utf8' });
    const m = JSON.parse(out.stdout) as { rss: number; heap: number };
    report(`memory after opening, ${label} principals: RSS`, m.rss / 2 ** 20, 'MiB');
    report(`memory after opening, ${label} principals: JS heap`, m.heap / 2 ** 20, 'MiB');
  }
  const { statSync } = await import('node:fs');
  report(
    `database file, ${big.toLocaleString('en')} principals`,
    statSync(`${large.data}/identity.sqlite`).size / 2 ** 20,
    'MiB',
  );
}
