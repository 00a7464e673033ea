// Tokens with a life: several per principal, an optional expiry, a label and a last use; expired
// or revoked tokens refused at once; the operations the routes and `ccr principal token` call.

import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import * as ops from '../../store/tokenOps.js';
import { createToken, expiresIn, listTokens, revokeToken, SELF_TOKEN_MAX_MS } from '../../store/tokenOps.js';
import { TokenAuthenticator } from '../../server/identity/tokens.js';
import { openHasher } from '../../store/tokenHash.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { tempDir } from '../helpers/tmp.js';
import type { Principal } from '../../core/principal.js';

const admin: Principal = { kind: 'admin', name: 'admin' };
const janeP: Principal = {
  kind: 'participant',
  name: 'jane',
  participantId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as never,
  role: 'clinician',
  displayName: 'Dr Jane Smith',
};
const jane = {
  name: 'jane',
  kind: 'participant',
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
  role: 'clinician',
  display_name: 'Dr Jane Smith',
} as const;

async function setup(t: Test) {
  const data = tempDir(t, 'ccr-tokens-');
  const stores = await openIdentityStores(
    data,
    { actor: 'server' },
    { batching: { flushMs: 3_600_000, maxPending: 1000 } },
  );
  t.teardown(() => stores.close());
  const hasher = await openHasher(`${data}/token.key`, stores.identity);
  let now = Date.parse('2026-03-01T12:00:00Z');
  const clock = {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
  };
  const auth = new TokenAuthenticator(stores.identity, hasher, undefined, clock.now);
  await stores.identity.createPrincipal({ name: 'admin', kind: 'admin' }, null, { actor: 'server' });
  await stores.identity.createPrincipal(jane, null, { actor: 'admin' });
  return { data, ...stores, hasher, auth, clock };
}

t.test('exports the token operations', async (t) => {
  t.same(Object.keys(ops).sort(), [
    'SELF_TOKEN_MAX_MS',
    'actorOf',
    'createToken',
    'expiresIn',
    'listTokens',
    'mayManageTokens',
    'parseNewToken',
    'revokeToken',
    'selfTokenBound',
    'validateNewToken',
    'validateTokenId',
  ]);
});

t.test('a principal holds several tokens; each signs in until it expires or is revoked, at once', async (t) => {
  const { identity, hasher, auth, clock } = await setup(t);
  const now = clock.now();
  const laptop = await createToken(identity, hasher, admin, 'jane', { label: 'laptop' }, now);
  t.match(laptop, { id: /^tok_/, token: /^ccr_[A-Za-z0-9_-]{43}$/, expires_at: null });
  const phone = await createToken(
    identity,
    hasher,
    admin,
    'jane',
    { label: 'phone', expires_at: '2026-03-01T13:00:00+01:00' },
    now - 3_600_000,
  );
  t.equal(phone.expires_at, '2026-03-01T12:00:00.000Z');
  t.notOk(phone.token === laptop.token);
  t.match(await auth.verify('jane', laptop.token), { kind: 'participant', name: 'jane' });
  t.equal(await auth.verify('jane', phone.token), null, 'expired at 12:00:00.000, the very moment it is used');
  const later = await createToken(identity, hasher, admin, 'jane', { expires_at: '2026-03-01T12:00:01Z' }, now);
  t.match(await auth.verify('jane', later.token), { name: 'jane' });
  clock.set(now + 1000);
  t.equal(await auth.verify('jane', later.token), null, 'refused from its expiry on, with no cache to wait for');
  t.equal(await auth.verify('admin', laptop.token), null, 'a token signs in its own principal only');
  t.equal(await auth.verify('jane', `${laptop.token}x`), null);

  const listed = await listTokens(identity, admin, 'jane');
  t.same(
    listed.tokens.map((x) => x.label),
    ['laptop', 'phone', null],
  );
  t.notMatch(JSON.stringify(listed), new RegExp(`${laptop.token}|hmac`), 'no secret and no hash');
  t.equal(listed.tokens[0]!.last_used_at, new Date(now).toISOString(), 'last use shown');
  await revokeToken(identity, admin, 'jane', laptop.id);
  t.equal(await auth.verify('jane', laptop.token), null, 'revoked: refused at the next request');
  await t.rejects(revokeToken(identity, admin, 'jane', laptop.id), { code: 'NotFound' });
  await t.rejects(revokeToken(identity, admin, 'jane', '../../etc'), {
    code: 'InvalidInput',
    message: /expected a token id/,
  });
});

t.test('validates token input: label, expiry in the future, nothing else', async (t) => {
  const { identity, hasher, clock } = await setup(t);
  const bad: Array<[unknown, RegExp]> = [
    [{ expires_at: '2026-02-01T00:00:00Z' }, /expected expires_at in the future/],
    [{ expires_at: 'tomorrow' }, /expected expires_at to must match pattern/],
    [{ expires_at: '2026-04-30T24:00:00Z' }, /expected expires_at to be a real date and time/],
    [{ expires_at: '2026-02-30T00:00:00Z' }, /expected expires_at to be a real date and time/],
    [{ label: '' }, /label to must NOT have fewer than 1 characters|fewer than 1/],
    [{ label: 'a\u0007b' }, /label to must match pattern/],
    [{ label: 'x'.repeat(101) }, /more than 100/],
    [{ token: 'ccr_mine' }, /no field `token`/],
    [{ expires_at: 1767225600000 }, /expires_at to must be string|string/],
    [[], /must be object/],
  ];
  for (const [body, message] of bad) {
    await t.rejects(
      createToken(identity, hasher, admin, 'jane', body, clock.now()),
      { code: 'InvalidInput', message },
      JSON.stringify(body),
    );
  }
  t.same(await identity.tokens('jane'), [], 'none was made');
  await t.rejects(createToken(identity, hasher, admin, 'nobody', {}, clock.now()), { code: 'NotFound' });
});

t.test('a principal manages its own tokens, expiring within 90 days; others are forbidden', async (t) => {
  const { identity, hasher, auth, clock } = await setup(t);
  const now = clock.now();
  const forever = await createToken(identity, hasher, janeP, 'jane', { label: 'forever' }, now);
  t.equal(forever.expires_at, new Date(now + SELF_TOKEN_MAX_MS).toISOString(), 'no expiry asked: 90 days, not never');
  await revokeToken(identity, janeP, 'jane', forever.id);
  const bounded = await createToken(identity, hasher, janeP, 'jane', {}, now, now + 60_000);
  t.equal(bounded.expires_at, new Date(now + 60_000).toISOString(), 'nor past the credential that signed in');
  await t.rejects(
    createToken(identity, hasher, janeP, 'jane', { expires_at: expiresIn('2m', now) }, now, now + 60_000),
    { code: 'InvalidInput', message: /no later than .*at most 90 days/ },
  );
  await revokeToken(identity, janeP, 'jane', bounded.id);
  const far = new Date(now + SELF_TOKEN_MAX_MS + 1000).toISOString();
  await t.rejects(createToken(identity, hasher, janeP, 'jane', { expires_at: far }, now), { code: 'InvalidInput' });
  const own = await createToken(
    identity,
    hasher,
    janeP,
    'jane',
    { label: 'rotated', expires_at: expiresIn('30d', now) },
    now,
  );
  t.match(await auth.verify('jane', own.token), { name: 'jane' });
  t.equal((await listTokens(identity, janeP, 'jane')).tokens.length, 1);
  await t.rejects(createToken(identity, hasher, janeP, 'admin', { expires_at: expiresIn('1d', now) }, now), {
    code: 'Forbidden',
  });
  await t.rejects(listTokens(identity, janeP, 'admin'), { code: 'Forbidden' });
  await t.rejects(revokeToken(identity, janeP, 'admin', own.id), { code: 'Forbidden' });
  await revokeToken(identity, janeP, 'jane', own.id);
  t.match(await identity.audit(0, 50), [
    {},
    {},
    {},
    {},
    {},
    {},
    { actor: 'jane', action: 'token-created' },
    { actor: 'jane', action: 'token-revoked' },
  ]);
  t.throws(() => expiresIn('5y'), { code: 'InvalidInput' });
  t.equal(expiresIn('12h', 0), '1970-01-01T12:00:00.000Z');
});

t.test('records last use without a write per request', async (t) => {
  const { identity, hasher, auth, data } = await setup(t);
  const tok = await createToken(identity, hasher, admin, 'jane', {});
  const reader = new Database(`${data}/identity.sqlite`, { readonly: true });
  t.teardown(() => reader.close());
  const before = reader.prepare('PRAGMA data_version').pluck();
  const changes = () => reader.prepare('SELECT last_used_at FROM tokens WHERE id = ?').pluck().get(tok.id);
  const version = before.get();
  let signedIn = 0;
  for (let i = 0; i < 200; i++) if (await auth.verify('jane', tok.token)) signedIn++;
  t.equal(signedIn, 200);
  t.equal(before.get(), version, 'two hundred sign-ins changed nothing on disk');
  t.equal(changes(), null);
  identity.flushUses();
  t.not(changes(), null, 'one batched write');
});

t.test('a data folder whose key file is gone while keyed hashes are stored does not start', async (t) => {
  const { identity, hasher, data } = await setup(t);
  await createToken(identity, hasher, admin, 'jane', {});
  const { rmSync } = await import('node:fs');
  rmSync(`${data}/token.key`);
  await t.rejects(
    openHasher(`${data}/token.key`, identity),
    /token\.key is missing: the token hashes .* cannot be checked without it; restore it/,
  );
});
