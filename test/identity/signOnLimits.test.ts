// What a credential may lead to, over real HTTP against a real server and a real issuer on
// loopback: a token made by its own principal ends no later than the credential that made it (so a
// stolen token or a short sign-on cannot mint a lasting one), sign-on reaches only the principal
// kinds the operator lists, and a participant an admin removed is not brought back by its next JWT.

import t from 'tap';
import { oidcConfig } from '../../server/identity/oidc.js';
import { SELF_TOKEN_MAX_MS } from '../../store/tokenOps.js';
import { issuer } from '../helpers/issuer.js';
import { jane, john } from '../helpers/people.js';
import { testServer, type Creds, type TestServer } from '../helpers/server.js';

/** A sign-on JWT sent as the Basic password, as git and its credential helpers send it. */
const jwtCreds = (jwt: string): Creds => ({ name: 'oauth2', token: jwt });
const ms = (iso: unknown) => Date.parse(String(iso));
const refusals = (s: TestServer) =>
  s.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['event'] === 'oidc-refused')
    .map((l) => String(l['reason']));

t.test(
  'a token a principal makes for itself ends no later than the credential it signed in with; ' +
    'chaining cannot extend it; an admin still makes lasting tokens for others',
  async (t) => {
    const idp = await issuer(t);
    const s = await testServer(t, { oidc: oidcConfig({ 'oidc-issuer': idp.url, 'oidc-audience': 'ccr' }, {})! });
    const janeCreds = await s.principal({
      name: 'jane',
      kind: 'participant',
      participant_id: jane.participant_id,
      role: jane.role,
      display_name: jane.display_name,
    });
    const mint = (c: Creds, body: unknown = {}) => s.api('POST', '/api/principals/jane/tokens', c, body);
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

    const exp = Math.floor(Date.now() / 1000) + 300;
    const jwt = jwtCreds(await idp.sign({ sub: 'jane' }, { exp }));
    const fromJwt = await mint(jwt);
    t.equal(fromJwt.status, 201, 'no expires_at given: made, with the bound as its expiry');
    t.equal(ms(fromJwt.body.expires_at), exp * 1000, 'a token made from a 5-minute JWT ends with the JWT');
    const longer = await mint(jwt, { expires_at: inDays(30) });
    t.equal(longer.status, 400, 'not later');
    t.match(
      longer.body.error.message,
      /expected expires_at no later than .*not after the credential this request signed in with/,
    );

    const t1: Creds = { name: 'jane', token: fromJwt.body.token };
    const chained = await mint(t1);
    t.equal(chained.status, 201, 'the token makes the next');
    t.ok(ms(chained.body.expires_at) <= ms(fromJwt.body.expires_at), 'which ends no later than it');
    t.equal((await mint(t1, { expires_at: inDays(1) })).status, 400, 'asked for longer: refused');
    const t2: Creds = { name: 'jane', token: chained.body.token };
    t.ok(ms((await mint(t2)).body.expires_at) <= exp * 1000, 'and so on down the chain: never past the JWT');

    const before = Date.now();
    const fromLasting = await mint(janeCreds);
    t.equal(fromLasting.status, 201, 'from a token that never expires');
    t.ok(
      ms(fromLasting.body.expires_at) >= before + SELF_TOKEN_MAX_MS - 1000 &&
        ms(fromLasting.body.expires_at) <= Date.now() + SELF_TOKEN_MAX_MS,
      'at most 90 days, by default 90 days',
    );
    t.equal((await mint(janeCreds, { expires_at: inDays(91) })).status, 400, 'not 91');
    const shortOwn = await mint(janeCreds, { expires_at: inDays(10) });
    t.equal(shortOwn.status, 201);
    const fromShort = await mint({ name: 'jane', token: shortOwn.body.token }, { expires_at: inDays(11) });
    t.equal(fromShort.status, 400, 'a 10-day token cannot make an 11-day one');

    const forJane = await mint(s.admin);
    t.equal(forJane.status, 201);
    t.equal(forJane.body.expires_at, null, 'an admin makes a token for another that never expires');
    t.equal((await mint(s.admin, { expires_at: inDays(365) })).status, 201, 'or lasts a year');
    const own = await s.api('POST', '/api/principals/admin/tokens', s.admin, { expires_at: inDays(365) });
    t.equal(own.status, 400, 'but for itself an admin is bound like anyone');
  },
);

t.test('sign-on reaches only the principal kinds of --oidc-kinds (participant by default)', async (t) => {
  const idp = await issuer(t);
  const base = { 'oidc-issuer': idp.url, 'oidc-audience': 'ccr' };
  const s = await testServer(t, { oidc: oidcConfig(base, {})! });
  await s.principal({
    name: 'jane',
    kind: 'participant',
    participant_id: jane.participant_id,
    role: jane.role,
    display_name: jane.display_name,
  });
  await s.principal({ name: 'audit', kind: 'auditor' });
  const asAdmin = jwtCreds(await idp.sign({ sub: 'admin' }));
  const r = await s.api('GET', '/api/principals', asAdmin);
  t.equal(r.status, 401, 'a JWT whose claim is "admin" does not sign in as the admin');
  t.match(r.body, { error: { code: 'Unauthorized', message: 'authentication required' } }, 'the same 401 as any');
  t.equal(
    (await s.api('GET', '/api/records', jwtCreds(await idp.sign({ sub: 'audit' })))).status,
    401,
    'nor an auditor',
  );
  t.equal(
    (await s.api('GET', '/api/records', jwtCreds(await idp.sign({ sub: 'jane' })))).status,
    200,
    'a participant does',
  );
  t.match(
    refusals(s),
    [/principal admin is an admin; sign-on reaches only participant principals/, /principal audit is an auditor/],
    'the reason is logged',
  );

  const staff = await testServer(t, { oidc: oidcConfig({ ...base, 'oidc-kinds': 'participant,admin' }, {})! });
  const adminJwt = await idp.sign({ sub: 'admin' }, { exp: Math.floor(Date.now() / 1000) + 120 });
  t.equal(
    (await staff.api('GET', '/api/principals', jwtCreds(adminJwt))).status,
    200,
    'an operator who lists admin gets admins by sign-on',
  );
  const made = await staff.api('POST', '/api/principals/admin/tokens', jwtCreds(adminJwt), {});
  t.equal(made.status, 201);
  t.ok(ms(made.body.expires_at) <= Date.now() + 120_000, 'and its own tokens end with its JWT');
});

t.test('a participant an admin removed is not re-created by its next JWT; an admin may create it again', async (t) => {
  const idp = await issuer(t);
  const s = await testServer(t, {
    oidc: oidcConfig({ 'oidc-issuer': idp.url, 'oidc-audience': 'ccr', 'oidc-create-participants': true }, {})!,
  });
  const claims = { sub: 'pat', participant_id: john.participant_id, role: 'patient', name: john.display_name };
  const names = async () =>
    ((await s.api('GET', '/api/principals', s.admin)).body.principals as Array<{ name: string }>).map((p) => p.name);
  t.equal((await s.api('GET', '/api/records', jwtCreds(await idp.sign(claims)))).status, 200, 'created at sign-on');
  t.same(await names(), ['admin', 'pat']);
  t.equal((await s.api('DELETE', '/api/principals/pat', s.admin)).status, 204, 'the admin removes it');

  t.equal((await s.api('GET', '/api/records', jwtCreds(await idp.sign(claims)))).status, 401, 'its next JWT: 401');
  t.equal(
    (await s.api('GET', '/api/records', jwtCreds(await idp.sign({ ...claims, sub: 'pat2' })))).status,
    401,
    'nor under another name with the same participant id',
  );
  t.equal(
    (await s.api('GET', '/api/records', jwtCreds(await idp.sign({ ...claims, participant_id: jane.participant_id }))))
      .status,
    401,
    'nor its name with another participant id',
  );
  t.same(await names(), ['admin'], 'nothing was re-created');
  t.match(refusals(s).at(-1), /was removed by an admin; only an admin creates it again/, 'the reason is logged');

  const again = await s.api('POST', '/api/principals', s.admin, {
    name: 'pat',
    kind: 'participant',
    participant_id: john.participant_id,
    role: 'patient',
    display_name: john.display_name,
  });
  t.equal(again.status, 201, 'an admin creates it explicitly');
  t.equal(
    (await s.api('GET', '/api/records', jwtCreds(await idp.sign(claims)))).status,
    200,
    'and its JWT signs in again',
  );
});
