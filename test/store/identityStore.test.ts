// The identity store on its embedded database: principals, tokens and signing keys, each change
// one transaction with its audit entry, look-ups that need no cache, last uses written in batches.

import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import * as sqliteStore from '../../store/sqlite/identityStore.js';
import { openDatabase } from '../../store/sqlite/db.js';
import { migrations, SCHEMA_VERSION } from '../../store/sqlite/schema.js';
import { SqliteIdentityStore } from '../../store/sqlite/identityStore.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { tempDir } from '../helpers/tmp.js';

const admin = { actor: 'admin' };
const jane = {
  name: 'jane',
  kind: 'participant',
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
  role: 'clinician',
  display_name: 'Dr Jane Smith',
} as const;
const hash = (n: number | string) => `hmac-sha256:${String(n).padStart(43, 'x')}=`;

async function open(t: Test, batching?: sqliteStore.UseBatching) {
  const data = tempDir(t, 'ccr-store-');
  const stores = await openIdentityStores(data, { actor: 'server' }, batching ? { batching } : {});
  t.teardown(() => stores.close());
  return { data, ...stores };
}

t.test('exports the SQLite identity store', async (t) => {
  t.same(Object.keys(sqliteStore).sort(), ['SqliteIdentityStore', 'newId']);
});

t.test('creates the database in WAL mode at the current schema version, readable by the server only', async (t) => {
  const { data, db } = await open(t);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'every commit fsynced (FULL)');
  t.equal(statSync(`${data}/identity.sqlite`).mode & 0o777, 0o600);
  const again = openDatabase(`${data}/identity.sqlite`);
  t.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'a second opening migrates nothing');
  again.close();
});

t.test('refuses a database of a newer schema than it knows, and changes nothing in it', async (t) => {
  const data = tempDir(t);
  const raw = new Database(`${data}/identity.sqlite`);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  t.throws(() => openDatabase(`${data}/identity.sqlite`), {
    code: 'CannotStart',
    message: new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this CCR knows \\(${SCHEMA_VERSION}\\)`),
  });
  const check = new Database(`${data}/identity.sqlite`, { readonly: true });
  t.equal(check.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get(), 0, 'no table made');
  check.close();
});

t.test('a database of schema version 1 is brought to the current one, its principals kept', async (t) => {
  const data = tempDir(t);
  const raw = new Database(`${data}/identity.sqlite`);
  raw.exec(migrations[0]!);
  raw.pragma('user_version = 1');
  raw
    .prepare(
      `INSERT INTO principals (name, kind, participant_id, role, display_name, created_at)
    VALUES ('jane', 'participant', ?, 'clinician', 'Dr Jane Smith', '2026-01-01T00:00:00.000Z')`,
    )
    .run(jane.participant_id);
  raw.close();
  const stores = await openIdentityStores(data, { actor: 'server' });
  t.teardown(() => stores.close());
  t.equal(stores.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.match(await stores.identity.principal('jane'), { kind: 'participant' }, 'kept');
  await stores.identity.createPrincipal({ name: 'admin', kind: 'admin' }, null, admin);
  await stores.identity.removePrincipal('jane', admin);
  await t.rejects(
    stores.identity.createPrincipal(jane, null, { actor: 'oidc:x' }, true),
    { code: 'Forbidden', message: /was removed by an admin/ },
    'a removed participant is not re-created implicitly',
  );
  await stores.identity.createPrincipal(jane, null, admin);
  t.match(await stores.identity.principal('jane'), { kind: 'participant' }, 'an explicit creation is');
});

t.test(
  'creates, pages, counts and removes principals; a name or token taken is a conflict that creates nothing',
  async (t) => {
    const { identity } = await open(t);
    await identity.createPrincipal({ name: 'admin', kind: 'admin' }, { hash: hash(1) }, { actor: 'server' });
    await identity.createPrincipal(jane, { hash: hash(2), label: 'laptop' }, admin);
    await identity.createPrincipal({ name: 'audit', kind: 'auditor' }, null, admin);
    t.match(await identity.principal('jane'), { ...jane, created_at: /^\d{4}-\d\d-\d\dT/ });
    t.equal(await identity.principal('nobody'), null);
    const first = await identity.principals(undefined, 2);
    t.same(
      first.items.map((p) => p.name),
      ['admin', 'audit'],
    );
    t.equal(first.next, 'audit');
    t.same(
      (await identity.principals(first.next, 2)).items.map((p) => p.name),
      ['jane'],
    );
    t.equal(await identity.count('admin'), 1);

    await t.rejects(identity.createPrincipal({ name: 'jane', kind: 'auditor' }, { hash: hash(3) }, admin), {
      code: 'Conflict',
      message: /named jane exists/,
    });
    await t.rejects(identity.createPrincipal({ name: 'tom', kind: 'auditor' }, { hash: hash(2) }, admin), {
      code: 'Conflict',
      message: /belongs to another principal/,
    });
    t.equal(await identity.principal('tom'), null, 'the principal of a refused token was not created');
    t.same(await identity.bindings(jane.participant_id), [
      { name: 'jane', role: 'clinician', displayName: 'Dr Jane Smith' },
    ]);

    await t.rejects(identity.removePrincipal('admin', admin), { code: 'Conflict', message: /last admin/ });
    await t.rejects(identity.removePrincipal('nobody', admin), { code: 'NotFound' });
    await identity.removePrincipal('jane', admin);
    t.equal(await identity.findToken(hash(2)), null, 'its tokens went with it');
    t.same(await identity.bindings(jane.participant_id), []);
  },
);

t.test('keeps several tokens per principal, lists them without secrets, and revokes one at once', async (t) => {
  const { identity, db } = await open(t);
  await identity.createPrincipal({ name: 'admin', kind: 'admin' }, null, admin);
  await identity.createPrincipal(jane, { hash: hash('a'), label: 'first' }, admin);
  const later = Date.now() + 3_600_000;
  const phone = await identity.addToken(
    'jane',
    { hash: hash('b'), label: 'phone', expiresAt: later },
    { actor: 'jane' },
  );
  t.match(phone, {
    id: /^tok_/,
    label: 'phone',
    expires_at: new Date(later).toISOString(),
    last_used_at: null,
    legacy: false,
  });
  const list = await identity.tokens('jane');
  t.same(
    list.map((x) => x.label),
    ['first', 'phone'],
  );
  t.notMatch(JSON.stringify(list), /hmac|hash/, 'no hash in the listing');
  t.match(await identity.findToken(hash('b')), {
    token: { id: phone.id },
    expiresAtMs: later,
    principal: { name: 'jane' },
  });
  await t.rejects(identity.addToken('nobody', { hash: hash('c') }, admin), { code: 'NotFound' });
  await t.rejects(identity.revokeToken('admin', phone.id, admin), { code: 'NotFound', message: /admin has no token/ });
  await identity.revokeToken('jane', phone.id, { actor: 'jane' });
  t.equal(await identity.findToken(hash('b')), null, 'gone at once');
  t.equal(db.prepare('SELECT count(*) FROM tokens').pluck().get(), 1);
});

t.test(
  'records last uses in batches: none written per use, written on flush, at the bound, and at close',
  async (t) => {
    const { identity, data } = await open(t, { flushMs: 3_600_000, maxPending: 3 });
    await identity.createPrincipal(jane, { hash: hash('a') }, admin);
    const [token] = await identity.tokens('jane');
    const other = new Database(`${data}/identity.sqlite`, { readonly: true });
    t.teardown(() => other.close());
    const stored = () => other.prepare('SELECT last_used_at FROM tokens WHERE id = ?').pluck().get(token!.id);
    for (let i = 0; i < 100; i++) identity.recordUse(token!.id, 1_000_000 + i);
    t.equal(stored(), null, 'a hundred uses, no write');
    t.equal(
      (await identity.tokens('jane'))[0]!.last_used_at,
      new Date(1_000_099).toISOString(),
      'the listing shows the latest use',
    );
    identity.flushUses();
    t.equal(stored(), 1_000_099, 'one write of the latest');
    identity.recordUse(token!.id, 5);
    identity.flushUses();
    t.equal(stored(), 1_000_099, 'an older use never moves it back');
    identity.recordUse(token!.id, 2_000_000);
    identity.recordUse('tok_a', 1);
    identity.recordUse('tok_b', 1);
    t.equal(stored(), 1_000_099, 'not in the use that reached the bound');
    await new Promise((r) => setImmediate(r));
    t.equal(stored(), 2_000_000, 'but right after it');
    identity.recordUse(token!.id, 3_000_000);
    await identity.close();
    t.equal(stored(), 3_000_000, 'written when the store closes');
  },
);

t.test('a change made through another connection (ccr principal in another process) is seen at once', async (t) => {
  const { identity, data } = await open(t);
  const cli = new SqliteIdentityStore(openDatabase(`${data}/identity.sqlite`));
  t.teardown(() => cli.close());
  await cli.createPrincipal(jane, { hash: hash('z') }, { actor: 'cli:root' });
  t.match(await identity.findToken(hash('z')), { principal: { name: 'jane' } }, 'no cache to refresh');
  const [tok] = await cli.tokens('jane');
  await cli.revokeToken('jane', tok!.id, { actor: 'cli:root' });
  t.equal(await identity.findToken(hash('z')), null, 'a revocation too');
});

t.test(
  'keeps signing keys: one owner per key, revocation kept, and kept revoked when the principal goes',
  async (t) => {
    const { identity } = await open(t);
    await identity.createPrincipal({ name: 'admin', kind: 'admin' }, { hash: hash(1) }, admin);
    await identity.createPrincipal(jane, { hash: hash(2) }, admin);
    await identity.createPrincipal({ name: 'tom', kind: 'integration' }, { hash: hash(3) }, admin);
    const key = {
      public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB',
      fingerprint: 'SHA256:abc',
      comment: 'laptop',
      valid_after: 100,
    };
    const added = await identity.addKey('jane', key, { actor: 'jane' });
    t.match(added, {
      id: /^key_/,
      principal: 'jane',
      fingerprint: 'SHA256:abc',
      valid_after: 100,
      valid_before: null,
      revoked_at: null,
    });
    await t.rejects(identity.addKey('jane', key, admin), {
      code: 'Conflict',
      message: /jane has registered key SHA256:abc already/,
    });
    await t.rejects(identity.addKey('tom', key, admin), {
      code: 'Conflict',
      message: /registered to another principal/,
    });
    await t.rejects(identity.addKey('jane', { ...key, fingerprint: 'SHA256:x', valid_before: 50 }, admin), /CHECK/);
    t.same(await identity.keys('tom'), []);
    t.equal((await identity.keyByFingerprint('SHA256:abc'))?.id, added.id);
    await t.rejects(identity.revokeKey('tom', added.id, 500, admin), { code: 'NotFound' });
    t.match(await identity.revokeKey('jane', added.id, 500, admin), { revoked_at: 500 });
    await t.rejects(identity.revokeKey('jane', added.id, 600, admin), {
      code: 'Conflict',
      message: /was revoked at 1970-01-01T00:08:20/,
    });
    const second = await identity.addKey('jane', { public_key: 'ssh-ed25519 AAAA2', fingerprint: 'SHA256:def' }, admin);
    await identity.removePrincipal('jane', admin);
    const kept = await identity.keys('jane');
    t.same(
      kept.map((k) => [k.id, k.revoked_at !== null]),
      [
        [added.id, true],
        [second.id, true],
      ],
      'known, revoked',
    );
    t.equal(kept[0]!.revoked_at, 500, 'an earlier revocation keeps its time');
    t.same(
      (await identity.keys()).map((k) => k.fingerprint),
      ['SHA256:abc', 'SHA256:def'],
    );
  },
);

t.test('writes an audit entry with who made it for every change, and none for a refused one', async (t) => {
  const { identity } = await open(t);
  await identity.createPrincipal({ name: 'admin', kind: 'admin' }, { hash: hash(1) }, { actor: 'server' });
  await identity.createPrincipal(jane, { hash: hash(2) }, admin);
  const tok = await identity.addToken('jane', { hash: hash(3), label: 'phone' }, { actor: 'jane' });
  await identity.revokeToken('jane', tok.id, { actor: 'oidc:https://id.example' });
  const key = await identity.addKey('jane', { public_key: 'ssh-ed25519 AAAA', fingerprint: 'SHA256:k' }, admin);
  await identity.revokeKey('jane', key.id, 1000, admin);
  await t.rejects(identity.createPrincipal(jane, { hash: hash(4) }, admin));
  await identity.removePrincipal('jane', { actor: 'cli:root' });
  const entries = await identity.audit(0, 100);
  t.same(
    entries.map((e) => [e.actor, e.action, e.principal]),
    [
      ['server', 'principal-created', 'admin'],
      ['server', 'token-created', 'admin'],
      ['admin', 'principal-created', 'jane'],
      ['admin', 'token-created', 'jane'],
      ['jane', 'token-created', 'jane'],
      ['oidc:https://id.example', 'token-revoked', 'jane'],
      ['admin', 'key-added', 'jane'],
      ['admin', 'key-revoked', 'jane'],
      ['cli:root', 'principal-removed', 'jane'],
    ],
  );
  t.same(entries[4]!.detail, { token: tok.id, label: 'phone', expires_at: null });
  t.same(entries[8]!.detail, { kind: 'participant', keys_revoked: 0 });
  t.notMatch(JSON.stringify(entries), /hmac-sha256/, 'never a hash');
  t.same(
    (await identity.audit(entries[7]!.seq, 10)).map((e) => e.action),
    ['principal-removed'],
    'resumes after a seq',
  );
  t.equal(await identity.auditForwarded(), 0);
  await identity.markAuditForwarded(entries[8]!.seq);
  t.equal(await identity.auditForwarded(), entries[8]!.seq);
});
