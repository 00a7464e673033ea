// What the identity figures (issue 15, bench/identityHttp.ts) changed in the store: a bulk import
// with a page cache for the whole tree, given back afterwards; last-use batches committed without
// an fsync of their own. Neither changes what is durable: every principal, token and key change
// is still committed with synchronous=FULL.

import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { tempDir } from '../helpers/tmp.js';

const server = { actor: 'server' };
const hash = (n: number | string) => `hmac-sha256:${String(n).padStart(43, 'x')}=`;
const participant = (i: number) => ({
  name: `p${i}`,
  kind: 'participant' as const,
  participant_id: `4f8c2a1d-9e3b-4a7c-8f1e-${String(i).padStart(12, '0')}`,
  role: 'clinician' as const,
  display_name: `Dr ${i}`,
});

async function open(t: Test) {
  const data = tempDir(t, 'ccr-figures-');
  const stores = await openIdentityStores(data, server, { batching: { flushMs: 3_600_000, maxPending: 1_000_000 } });
  t.teardown(() => stores.close());
  return { data, ...stores };
}

t.test('a bulk import gives the page cache back, and later changes are fsynced as before', async (t) => {
  const { db, identity } = await open(t);
  const usual = db.pragma('cache_size', { simple: true });
  const n = identity.importPrincipals(
    (function* () {
      for (let i = 0; i < 2000; i++)
        yield { principal: participant(i), created_at: '2026-01-01T00:00:00.000Z', token: { hash: hash(i) } };
    })(),
    server,
  );
  t.equal(n, 2000);
  t.equal(db.pragma('cache_size', { simple: true }), usual, 'the usual cache size again');
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL');
  t.match(await identity.findToken(hash(1234)), { principal: { name: 'p1234', kind: 'participant' } });
  t.equal(await identity.count('participant'), 2000);
});

t.test('a bulk import that fails creates none and gives the page cache back too', async (t) => {
  const { db, identity } = await open(t);
  const usual = db.pragma('cache_size', { simple: true });
  await identity.createPrincipal(participant(5), null, server);
  t.throws(
    () =>
      identity.importPrincipals(
        (function* () {
          for (let i = 0; i < 10; i++)
            yield { principal: participant(i), created_at: '2026-01-01T00:00:00.000Z', token: { hash: hash(i) } };
        })(),
        server,
      ),
    { code: 'Conflict' },
  );
  t.equal(db.pragma('cache_size', { simple: true }), usual);
  t.equal(await identity.count('participant'), 1, 'none of the batch was created');
  t.equal(await identity.findToken(hash(1)), null);
});

t.test('last uses are written in batches, and principal and token changes after them stay FULL', async (t) => {
  const { db, identity } = await open(t);
  for (let i = 0; i < 1200; i++) await identity.createPrincipal(participant(i), { hash: hash(i) }, server);
  const at = Date.parse('2026-03-01T12:00:00Z');
  for (let i = 0; i < 1200; i++) {
    const m = await identity.findToken(hash(i));
    identity.recordUse(m!.token.id, at + i);
  }
  identity.flushUses();
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after the batch');
  const used = db.prepare('SELECT count(*) FROM tokens WHERE last_used_at IS NOT NULL').pluck().get();
  t.equal(used, 1200, 'every last use written');
  t.equal((await identity.tokens('p1199'))[0]!.last_used_at, new Date(at + 1199).toISOString());
  await identity.addToken('p1', { hash: hash('later') }, server);
  t.equal(db.pragma('synchronous', { simple: true }), 2);
});

t.test('a last-use batch that fails leaves the connection FULL', async (t) => {
  const { db, identity } = await open(t);
  await identity.createPrincipal(participant(1), { hash: hash(1) }, server);
  const m = await identity.findToken(hash(1));
  identity.recordUse(m!.token.id, Date.now());
  // Another connection holds the write lock: the batch cannot be written.
  const other = new Database(db.name);
  other.pragma('busy_timeout = 0');
  db.pragma('busy_timeout = 50');
  other.prepare('BEGIN IMMEDIATE').run();
  t.teardown(() => {
    if (other.inTransaction) other.prepare('ROLLBACK').run();
    other.close();
  });
  t.throws(() => identity.flushUses(), { code: 'SQLITE_BUSY' });
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL after the failure');
  other.prepare('ROLLBACK').run();
});
