// principals.json of an existing data folder moved into the identity database on first start:
// nothing lost, idempotent, finished by the next start when killed in the middle, the file kept.

import { spawn } from 'node:child_process';
import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import t, { type Test as Tap } from 'tap';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { TokenAuthenticator } from '../../server/identity/tokens.js';
import { TokenHasher } from '../../store/tokenHash.js';
import { root } from '../helpers/fixtures.js';
import { reapProcess } from '../helpers/reaper.js';
import { tempDir } from '../helpers/tmp.js';

const server = { actor: 'server' };
const token = () => `ccr_${randomBytes(32).toString('base64url')}`;

/** A data folder as the server wrote it before the database: a key, keyed hashes and an old scrypt entry. */
async function oldDataFolder(t: Tap) {
  const data = tempDir(t, 'ccr-migrate-');
  const hasher = await TokenHasher.open(`${data}/token.key`, true);
  const tokens = { admin: token(), jane: token(), old: token() };
  const salt = randomBytes(16);
  const principals = [
    { name: 'admin', kind: 'admin', token_hash: hasher.hash(tokens.admin), created_at: '2026-01-01T08:00:00.000Z' },
    {
      name: 'jane',
      kind: 'participant',
      participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
      role: 'clinician',
      display_name: 'Dr Jane Smith',
      token_hash: hasher.hash(tokens.jane),
      created_at: '2026-01-02T09:30:00.123Z',
    },
    {
      name: 'old',
      kind: 'auditor',
      salt: salt.toString('base64'),
      hash: scryptSync(tokens.old, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64'),
      created_at: '2025-12-24T00:00:00Z',
    },
  ];
  writeFileSync(`${data}/principals.json`, JSON.stringify({ version: 1, principals }, null, 2), { mode: 0o600 });
  return { data, hasher, tokens, principals };
}

t.test(
  'moves every principal in with its token hash, binding and creation time, and keeps the file renamed',
  async (t) => {
    const { data, hasher, tokens } = await oldDataFolder(t);
    const original = readFileSync(`${data}/principals.json`, 'utf8');
    const stores = await openIdentityStores(data, server);
    t.teardown(() => stores.close());
    t.same(stores.migration, { imported: 3, keptAs: `${data}/principals.json.migrated` });
    t.notOk(existsSync(`${data}/principals.json`), 'the old file is no longer read');
    t.equal(readFileSync(`${data}/principals.json.migrated`, 'utf8'), original, 'kept byte for byte for a rollback');
    const { identity } = stores;
    t.same((await identity.principals(undefined, 10)).items, [
      { name: 'admin', kind: 'admin', created_at: '2026-01-01T08:00:00.000Z' },
      {
        name: 'jane',
        kind: 'participant',
        participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
        role: 'clinician',
        display_name: 'Dr Jane Smith',
        created_at: '2026-01-02T09:30:00.123Z',
      },
      { name: 'old', kind: 'auditor', created_at: '2025-12-24T00:00:00Z' },
    ]);
    t.match(await identity.findToken(hasher.hash(tokens.jane)), {
      principal: { name: 'jane' },
      token: { label: 'migrated' },
    });
    t.match(await identity.tokens('old'), [{ legacy: true, label: 'migrated' }], 'the scrypt hash kept, marked legacy');
    t.match(await identity.audit(0, 10), [{ actor: 'server', action: 'principals-migrated', detail: { count: 3 } }]);

    const auth = new TokenAuthenticator(identity, hasher);
    t.match(
      await auth.verify('admin', tokens.admin),
      { kind: 'admin', name: 'admin' },
      'a keyed hash signs in as before',
    );
    t.match(await auth.verify('jane', tokens.jane), {
      kind: 'participant',
      participantId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
    });
    t.equal(await auth.verify('old', `${tokens.old}x`), null, 'a wrong token for a scrypt entry is refused');
    t.match(await identity.tokens('old'), [{ legacy: true }], 'and rehashes nothing');
    t.match(await auth.verify('old', tokens.old), { kind: 'auditor', name: 'old' }, 'a scrypt entry signs in');
    t.match(await identity.tokens('old'), [{ legacy: false }], 'and is rehashed on that first use');
    t.match(await identity.findToken(hasher.hash(tokens.old)), { principal: { name: 'old' } });
    t.equal(await auth.verify('admin', tokens.old), null, 'still only for its own principal');
  },
);

t.test(
  'a second start imports nothing; a principals.json written again later (a rollback) adds only what is new',
  async (t) => {
    const { data, principals } = await oldDataFolder(t);
    (await openIdentityStores(data, server)).close();
    const again = await openIdentityStores(data, server);
    t.same(again.migration, { imported: 0, keptAs: null });
    await again.close();
    // An older CCR run meanwhile (a rollback) wrote a file again, with one principal more and one less.
    const added = {
      name: 'audit2',
      kind: 'auditor',
      token_hash: 'hmac-sha256:new',
      created_at: '2026-02-01T00:00:00.000Z',
    };
    writeFileSync(
      `${data}/principals.json`,
      JSON.stringify({ version: 1, principals: [...principals.slice(1), added] }),
    );
    const third = await openIdentityStores(data, server);
    t.teardown(() => third.close());
    t.equal(third.migration.imported, 1);
    t.match(
      third.migration.keptAs,
      /principals\.json\.migrated-\d{8}T\d{6}\d{3}Z$/,
      'the first kept file is not overwritten',
    );
    t.same(
      (await third.identity.principals(undefined, 10)).items.map((p) => p.name),
      ['admin', 'audit2', 'jane', 'old'],
    );
  },
);

t.test(
  'a start killed between keeping the file and removing its old name leaves one kept copy after the next',
  async (t) => {
    const { data } = await oldDataFolder(t);
    (await openIdentityStores(data, server)).close();
    // What the first start leaves when killed after the link: both names, one file.
    renameSync(`${data}/principals.json.migrated`, `${data}/principals.json`);
    linkSync(`${data}/principals.json`, `${data}/principals.json.migrated`);
    const next = await openIdentityStores(data, server);
    t.teardown(() => next.close());
    t.same(next.migration, { imported: 0, keptAs: `${data}/principals.json.migrated` });
    t.same(
      readdirSync(data).filter((f) => f.startsWith('principals.json')),
      ['principals.json.migrated'],
      'no second copy',
    );
  },
);

t.test('refuses to start on a principals.json it cannot read whole, imports nothing and keeps the file', async (t) => {
  for (const [what, text, message] of [
    ['not JSON', '{"principals": [', /is not JSON/],
    [
      'a participant without its binding',
      JSON.stringify({ principals: [{ name: 'x', kind: 'participant', created_at: 'now' }] }),
      /cannot be moved into the database: expected .*participant_id/,
    ],
    [
      'an unknown kind',
      JSON.stringify({ principals: [{ name: 'x', kind: 'root', created_at: 'now' }] }),
      /kind to be one of/,
    ],
    [
      'a salt without its hash',
      JSON.stringify({ principals: [{ name: 'x', kind: 'admin', salt: 'c2FsdA==', created_at: 'now' }] }),
      /hash/,
    ],
  ] as const) {
    const data = tempDir(t);
    writeFileSync(`${data}/principals.json`, text);
    await t.rejects(openIdentityStores(data, server), { code: 'CannotStart', message }, what);
    t.ok(existsSync(`${data}/principals.json`), `${what}: the file stays`);
    const db = new Database(`${data}/identity.sqlite`, { readonly: true });
    t.equal(db.prepare('SELECT count(*) FROM principals').pluck().get(), 0, `${what}: nothing imported`);
    db.close();
  }
});

t.test(
  'a start killed in the middle of the migration leaves all or nothing, and the next start finishes it',
  async (t) => {
    const data = tempDir(t, 'ccr-migrate-kill-');
    const n = 60_000;
    const principals = Array.from({ length: n }, (_, i) => ({
      name: `p${i}`,
      kind: 'auditor',
      token_hash: `hmac-sha256:${createHmac('sha256', 'k').update(String(i)).digest('base64')}`,
      created_at: '2026-01-01T00:00:00.000Z',
    }));
    writeFileSync(`${data}/principals.json`, JSON.stringify({ version: 1, principals }));
    const count = () => {
      // Read-write, as the next start opens it: a killed writer's WAL is recovered (read-only cannot).
      const db = new Database(`${data}/identity.sqlite`, { fileMustExist: true });
      try {
        // Killed before the schema's own transaction committed: no table at all, which is nothing too.
        if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'principals'").get()) return 0;
        return db.prepare('SELECT count(*) FROM principals').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    /** Run the opening in a child; kill it `killAfterMs` after it said `opening` (never, when null). */
    const run = (killAfterMs: number | null) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [`${root}/dist/test/helpers/openIdentity.js`, data], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const forget = reapProcess(child.pid!);
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          if (!out && killAfterMs !== null) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
          out += d.toString();
        });
        child.on('exit', () => {
          forget();
          resolve(out);
        });
      });
    let killedMidway = 0;
    for (const delay of [0, 5, 20, 60, 150, 400, 1000, 2500]) {
      const out = await run(delay);
      if (out.includes('opened')) break; // this machine finished before the kill: the rest would too
      const found = existsSync(`${data}/identity.sqlite`) ? count() : 0;
      t.ok(found === 0 || found === n, `killed after ${delay} ms: ${found} principals, all or nothing`);
      if (found === 0) killedMidway++;
      t.ok(existsSync(`${data}/principals.json`) || found === n, 'the file is moved only once everything is in');
    }
    t.ok(killedMidway > 0, `at least one kill landed before the commit (${killedMidway})`);
    t.match(await run(null), /opened \d+/);
    t.equal(count(), n, 'every principal is in after the next start');
    t.notOk(existsSync(`${data}/principals.json`));
    t.same(
      readdirSync(data).filter((f) => f.startsWith('principals.json')),
      ['principals.json.migrated'],
    );
  },
);
