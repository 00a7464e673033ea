// Tokens kept as keyed hashes (HMAC-SHA-256 under <data>/token.key), principals from before kept
// working and rehashed on first use, and sign-ins that a flood of bad credentials cannot slow down.
// Figures: docs/reliability.md.

import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { startCrowd } from '../helpers/crowdProcess.js';
import { killGroup, serveProcess } from '../helpers/process.js';
import { ADMIN_TOKEN, testServer, type Creds } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** Each principal's stored token as principals.json held it (the identity database holds it now: issue 15). */
function stored(data: string): Array<Record<string, string>> {
  const db = new Database(`${data}/identity.sqlite`, { readonly: true });
  try {
    type Row = { name: string; hash: Buffer | null; legacy_salt: string | null; legacy_hash: string | null };
    const rows = db
      .prepare(
        `SELECT p.name, t.hash, t.legacy_salt, t.legacy_hash FROM principals p
      LEFT JOIN tokens t ON t.principal = p.id`,
      )
      .all() as Row[];
    return rows.map((r) => ({
      name: r.name,
      ...(r.legacy_hash
        ? { salt: r.legacy_salt!, hash: r.legacy_hash }
        : r.hash
          ? { token_hash: `hmac-sha256:${r.hash.toString('base64')}` }
          : {}),
    }));
  } finally {
    db.close();
  }
}
const databaseText = (data: string) =>
  ['identity.sqlite', 'identity.sqlite-wal']
    .filter((f) => existsSync(`${data}/${f}`))
    .map((f) => readFileSync(`${data}/${f}`).toString('latin1'))
    .join('');

/** A principal as written before keyed hashes: the scrypt hash of its token. */
function scryptEntry(name: string, kind: string, token: string): Record<string, string> {
  const salt = randomBytes(16);
  const hash = scryptSync(token, salt, 32, { N: 16384, r: 8, p: 1 });
  return {
    name,
    kind,
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    created_at: '2026-01-01T00:00:00.000Z',
  };
}

t.test(
  'a token is kept only as its HMAC under a key of the server (mode 0600), and works after a restart',
  async (t) => {
    const s = await testServer(t);
    const audit = await s.principal({ name: 'audit', kind: 'auditor' });
    const key = Buffer.from(readFileSync(`${s.data}/token.key`, 'utf8').trim(), 'base64');
    t.equal(key.length, 32, 'a 256-bit key');
    t.equal(statSync(`${s.data}/token.key`).mode & 0o777, 0o600, 'readable by the server only');
    const entry = stored(s.data).find((p) => p['name'] === 'audit')!;
    t.equal(entry['token_hash'], `hmac-sha256:${createHmac('sha256', key).update(audit.token).digest('base64')}`);
    t.notOk('salt' in entry || 'hash' in entry, 'no scrypt hash');
    t.notMatch(databaseText(s.data), audit.token, 'not in the clear');
    t.notMatch(
      JSON.stringify((await s.api('GET', '/api/principals', s.admin)).body),
      /token_hash|hmac/,
      'the hash is not listed',
    );
    t.equal((await s.api('GET', '/api/records', audit)).status, 200);
    t.equal((await s.api('GET', '/api/records', { name: 'audit', token: `${audit.token}x` })).status, 401);
    const borrowed = await s.api('GET', '/api/records', { name: 'admin', token: audit.token });
    t.equal(borrowed.status, 401, 'a token signs in only its own principal');
    t.equal((await s.api('POST', '/api/principals', s.admin, { name: 'audit3', kind: 'auditor' })).status, 201);

    await s.server.close();
    const again = await serveProcess(['--data', s.data, '--port', '0'], {}, undefined, true);
    t.teardown(() => killGroup(again));
    t.equal((await send(`${again.url}/api/records`, { auth: audit })).status, 200, 'the same token after a restart');
  },
);

t.test('principals stored with scrypt hashes keep working and are rehashed on their first sign-in', async (t) => {
  const data = tempDir(t);
  const auditToken = `ccr_${randomBytes(32).toString('base64url')}`;
  const principals = [scryptEntry('admin', 'admin', ADMIN_TOKEN), scryptEntry('audit', 'auditor', auditToken)];
  writeFileSync(`${data}/principals.json`, JSON.stringify({ version: 1, principals }), { mode: 0o600 });
  const server = await serveProcess(['--data', data, '--port', '0'], {}, undefined, true);
  t.teardown(() => killGroup(server));
  const audit: Creds = { name: 'audit', token: auditToken };
  const get = (c: Creds) => send(`${server.url}/api/records`, { auth: c }).then((r) => r.status);
  t.equal(await get({ name: 'audit', token: `${auditToken}x` }), 401, 'a wrong token is refused');
  t.ok('hash' in stored(data).find((p) => p['name'] === 'audit')!, 'and rehashes nothing');
  t.same(await Promise.all([get(audit), get(audit), get(audit)]), [200, 200, 200], 'the old token signs in');
  const rehashed = stored(data).find((p) => p['name'] === 'audit')!;
  t.match(rehashed, { token_hash: /^hmac-sha256:/ }, 'and is kept as a keyed hash from then on');
  t.notOk('salt' in rehashed || 'hash' in rehashed, 'the scrypt hash is gone');
  t.ok('hash' in stored(data).find((p) => p['name'] === 'admin')!, 'a principal not yet used keeps its scrypt hash');
  t.equal(server.lines.filter((l) => l['event'] === 'principal-token-rehashed').length, 1, 'rehashed once');
  t.equal(await get(audit), 200, 'and signs in by its keyed hash');
  t.equal(await get({ name: 'admin', token: ADMIN_TOKEN }), 200);
  t.equal(await get({ name: 'audit', token: ADMIN_TOKEN }), 401);
});

t.test('a missing token key stops the server at start with a clear error, not a silent lock-out', async (t) => {
  const s = await testServer(t);
  await s.principal({ name: 'audit', kind: 'auditor' });
  await s.server.close();
  unlinkSync(`${s.data}/token.key`);
  const refused = await serveProcess(['--data', s.data, '--port', '0']).catch((e: Error) => e);
  t.match(
    refused,
    new RegExp(
      'token\\.key is missing: the token hashes of the identity database cannot be checked ' +
        'without it; restore it from a backup',
    ),
  );
});

t.test(
  '200 concurrent clients sending 10,000 distinct bad credentials leave sign-ins fast',
  { timeout: 240_000 },
  async (t) => {
    const data = tempDir(t);
    const server = await serveProcess(
      ['--data', data, '--port', '0'],
      { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
      undefined,
      true,
    );
    t.teardown(() => killGroup(server));
    const admin: Creds = { name: 'admin', token: ADMIN_TOKEN };
    const make = async (name: string): Promise<Creds> => {
      const body = JSON.stringify({ name, kind: 'auditor' });
      const r = await send(`${server.url}/api/principals`, {
        method: 'POST',
        auth: admin,
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      return { name, token: (JSON.parse(r.body.toString()) as { token: string }).token };
    };
    const quiet: Creds[] = [];
    const loud: Creds[] = [];
    for (let i = 0; i < 10; i++) quiet.push(await make(`quiet${i}`));
    for (let i = 0; i < 10; i++) loud.push(await make(`loud${i}`));
    /** Sign in (a first sign-in for a new principal) and give the time it took. */
    const signIn = async (c: Creds) => {
      const t0 = performance.now();
      const r = await send(`${server.url}/api/records?limit=1`, { auth: c });
      if (r.status !== 200) throw new Error(`${c.name}: ${r.status}`);
      return performance.now() - t0;
    };
    const alone: number[] = [];
    for (const c of quiet) alone.push(await signIn(c), await signIn(admin));

    const names = ['admin', ...quiet.map((c) => c.name), 'nobody'];
    const crowd = await startCrowd(t, {
      url: `${server.url}/api/records?limit=1`,
      names,
      clients: 200,
      limit: 10_000,
      expect: 401,
    });
    await new Promise((r) => setTimeout(r, 500));
    const flooded: number[] = [];
    for (const c of loud) flooded.push(await signIn(c), await signIn(admin), await signIn(quiet[0]!));
    const during = crowd.running();
    const counts = await crowd.done;

    const fmt = (xs: number[]) =>
      `p50 ${ms(quantile(xs, 0.5))}, p95 ${ms(quantile(xs, 0.95))}, max ${ms(Math.max(...xs))}`;
    t.comment(
      `sign-ins alone: ${fmt(alone)}; during the flood: ${fmt(flooded)}; ` +
        `${counts.expected} of ${counts.requests} bad credentials answered 401`,
    );
    t.ok(during, 'the sign-ins were measured while the flood ran');
    t.equal(
      counts.expected,
      10_000,
      `every bad credential was refused with 401 (${counts.other.slice(0, 3).join('; ')})`,
    );
    // Before keyed hashes a first sign-in waited ~6 s behind the flood's scrypt runs (issue 11.6).
    const bound = Math.max(1000, 5 * quantile(alone, 0.95));
    t.ok(
      quantile(flooded, 0.95) < bound,
      `sign-ins stay fast during the flood: p95 ${ms(quantile(flooded, 0.95))} < ${bound.toFixed(0)} ms`,
    );
  },
);

const bounded =
  'sign-ins checked against an old scrypt hash wait in a bounded queue: past it 503 at once, others unaffected';
t.test(bounded, { timeout: 240_000 }, async (t) => {
  const data = tempDir(t);
  const oldToken = `ccr_${randomBytes(32).toString('base64url')}`;
  const principals = [scryptEntry('old', 'auditor', oldToken)];
  writeFileSync(`${data}/principals.json`, JSON.stringify({ version: 1, principals }), { mode: 0o600 });
  const server = await serveProcess(['--data', data, '--port', '0'], { CCR_ADMIN_TOKEN: ADMIN_TOKEN }, undefined, true);
  t.teardown(() => killGroup(server));
  const signIn = async () => {
    const t0 = performance.now();
    const r = await send(`${server.url}/api/records?limit=1`, { auth: { name: 'admin', token: ADMIN_TOKEN } });
    if (r.status !== 200) throw new Error(`admin: ${r.status}`);
    return performance.now() - t0;
  };
  const alone: number[] = [];
  for (let i = 0; i < 20; i++) alone.push(await signIn());
  const crowd = await startCrowd(t, {
    url: `${server.url}/api/records?limit=1`,
    names: ['old'],
    clients: 100,
    limit: 600,
    expect: 401,
  });
  const flooded: number[] = [];
  while (crowd.running() && flooded.length < 20) flooded.push(await signIn());
  const counts = await crowd.done;
  t.comment(
    `${JSON.stringify(counts.statuses)} for 600 bad credentials of a principal not yet rehashed; ` +
      `admin sign-ins alone p95 ${ms(quantile(alone, 0.95))}, meanwhile p95 ${ms(quantile(flooded, 0.95))}`,
  );
  t.equal(
    (counts.statuses['401'] ?? 0) + (counts.statuses['503'] ?? 0),
    600,
    'each is refused (401) or turned away at once (503)',
  );
  t.ok((counts.statuses['503'] ?? 0) > 0, 'the queue for scrypt is bounded');
  const bound = Math.max(1000, 5 * quantile(alone, 0.95));
  const p95 = quantile(flooded, 0.95);
  t.ok(p95 < bound, `a principal with a keyed hash signs in fast meanwhile: p95 ${ms(p95)} < ${bound} ms`);
  const after = await send(`${server.url}/api/records?limit=1`, { auth: { name: 'old', token: oldToken } });
  t.equal(after.status, 200, 'and the old principal signs in afterwards');
});
