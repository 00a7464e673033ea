// Single sign-on against a REAL issuer on loopback: keys made here with jose, the discovery
// document and the JWKS served over HTTP, tokens signed by it (and forged ones that must fail).

import { SignJWT } from 'jose';
import { issuer, makeKey } from '../helpers/issuer.js';
import t, { type Test } from 'tap';
import { Authenticator, credentialOf, looksLikeJwt } from '../../server/identity/credentials.js';
import * as oidc from '../../server/identity/oidc.js';
import { oidcConfig, OidcVerifier, type OidcConfig } from '../../server/identity/oidc.js';
import { TokenAuthenticator } from '../../server/identity/tokens.js';
import { openHasher } from '../../store/tokenHash.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { tempDir } from '../helpers/tmp.js';

const jane = {
  name: 'jane',
  kind: 'participant',
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
  role: 'clinician',
  display_name: 'Dr Jane Smith',
} as const;

async function setup(t: Test, over: Partial<OidcConfig> = {}) {
  const idp = await issuer(t);
  const data = tempDir(t, 'ccr-oidc-');
  const stores = await openIdentityStores(data, { actor: 'server' });
  t.teardown(() => stores.close());
  await stores.identity.createPrincipal({ name: 'admin', kind: 'admin' }, null, { actor: 'server' });
  await stores.identity.createPrincipal(jane, null, { actor: 'admin' });
  const config = { ...oidcConfig({ 'oidc-issuer': idp.url, 'oidc-audience': 'ccr' }, {})!, ...over };
  const logs: Array<[string, Record<string, unknown>]> = [];
  const verifier = new OidcVerifier(config, stores.identity, (_l, event, fields = {}) => logs.push([event, fields]));
  const tokens = new TokenAuthenticator(stores.identity, await openHasher(`${data}/token.key`, stores.identity));
  const auth = new Authenticator(tokens, verifier);
  return { idp, identity: stores.identity, verifier, auth, logs };
}
const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}`;

t.test('exports the sign-on API', async (t) => {
  t.same(Object.keys(oidc).sort(), ['OIDC_ALGORITHMS', 'OidcVerifier', 'SIGN_ON_ROLES', 'oidcConfig']);
  t.notOk(
    oidc.OIDC_ALGORITHMS.some((a) => /^HS|^none$/i.test(a)),
    'asymmetric only',
  );
});

t.test('reads the configuration from flags or the environment, and refuses what cannot be right', async (t) => {
  t.equal(oidcConfig({}, {}), null, 'off by default');
  t.match(oidcConfig({}, { CCR_OIDC_ISSUER: 'https://id.example.org/realms/ward', CCR_OIDC_AUDIENCE: 'ccr' }), {
    issuer: 'https://id.example.org/realms/ward',
    audience: 'ccr',
    principalClaim: 'sub',
    participantClaim: 'participant_id',
    createParticipants: false,
  });
  t.match(
    oidcConfig(
      {
        'oidc-issuer': 'https://a.example',
        'oidc-audience': 'x',
        'oidc-principal-claim': 'preferred_username',
        'oidc-create-participants': true,
      },
      { CCR_OIDC_ISSUER: 'https://b.example' },
    ),
    { issuer: 'https://a.example', principalClaim: 'preferred_username', createParticipants: true },
    'flags win over the environment',
  );
  t.throws(() => oidcConfig({ 'oidc-issuer': 'https://a.example' }, {}), { code: 'InvalidInput', message: /together/ });
  t.same(
    oidcConfig({ 'oidc-issuer': 'https://a.example', 'oidc-audience': 'x' }, {})!.kinds,
    ['participant'],
    'sign-on reaches participants only by default',
  );
  t.same(
    oidcConfig({ 'oidc-issuer': 'https://a.example', 'oidc-audience': 'x' }, { CCR_OIDC_KINDS: 'participant,admin' })!
      .kinds,
    ['participant', 'admin'],
    'CCR_OIDC_KINDS',
  );
  t.same(
    oidcConfig(
      { 'oidc-issuer': 'https://a.example', 'oidc-audience': 'x', 'oidc-kinds': 'auditor' },
      { CCR_OIDC_KINDS: 'admin' },
    )!.kinds,
    ['auditor'],
    '--oidc-kinds wins',
  );
  t.throws(
    () =>
      oidcConfig({ 'oidc-issuer': 'https://a.example', 'oidc-audience': 'x', 'oidc-kinds': 'participant,root' }, {}),
    { code: 'InvalidInput', message: /expected --oidc-kinds to list principal kinds .*found "root"/ },
  );
  t.throws(
    () =>
      oidcConfig(
        {
          'oidc-issuer': 'https://a.example',
          'oidc-audience': 'x',
          'oidc-kinds': 'admin',
          'oidc-create-participants': true,
        },
        {},
      ),
    { message: /include participant with --oidc-create-participants/ },
  );
  t.throws(() => oidcConfig({ 'oidc-issuer': 'http://id.example.org', 'oidc-audience': 'x' }, {}), {
    message: /https URL \(http only on loopback\)/,
  });
  t.throws(() => oidcConfig({ 'oidc-issuer': 'https://u:p@id.example.org', 'oidc-audience': 'x' }, {}), {
    message: /without credentials/,
  });
  t.throws(
    () => oidcConfig({ 'oidc-issuer': 'https://a.example', 'oidc-audience': 'x', 'oidc-principal-claim': 'a b' }, {}),
    /claim name/,
  );
});

t.test('accepts a good token as Bearer and as the Basic password, and maps sub to the principal', async (t) => {
  const { idp, verifier, auth } = await setup(t);
  const jwt = await idp.sign({ sub: 'jane' });
  t.ok(looksLikeJwt(jwt));
  t.match(await verifier.verify(jwt), { kind: 'participant', name: 'jane', role: 'clinician' });
  t.match(await auth.authenticate(`Bearer ${jwt}`), { name: 'jane' });
  t.match(await auth.authenticate(basic('jane', jwt)), { name: 'jane' }, 'what git sends');
  t.match(
    await auth.authenticate(basic('oauth2', jwt)),
    { name: 'jane' },
    'the user name of a credential helper is not compared',
  );
  t.equal(idp.hits.discovery, 1, 'discovered once');
  t.equal(idp.hits.jwks, 1, 'keys fetched once and kept');
  t.same(credentialOf(`Bearer ${jwt}`), { kind: 'bearer', token: jwt });
  t.equal(credentialOf('Bearer a b'), null);
});

t.test('follows a key rotation: a new kid in the JWKS is fetched and taken', async (t) => {
  const { idp, verifier } = await setup(t, { jwksCooldownMs: 200 });
  t.match(await verifier.verify(await idp.sign({ sub: 'jane' })), { name: 'jane' });
  const k2 = await makeKey('k2', 'RS256');
  idp.keys.splice(0, 1, k2);
  await new Promise((r) => setTimeout(r, 300)); // past the cool-down after the first fetch
  t.match(
    await verifier.verify(await idp.sign({ sub: 'jane' }, { key: k2 })),
    { name: 'jane' },
    'signed with the new key',
  );
  t.equal(idp.hits.jwks, 2, 'one refetch');
});

t.test('refetches the JWKS for unknown kids at most once per cool-down', async (t) => {
  const { idp, verifier } = await setup(t, { jwksCooldownMs: 60_000 });
  t.match(await verifier.verify(await idp.sign({ sub: 'jane' })), { name: 'jane' });
  const strangers = await Promise.all(Array.from({ length: 5 }, (_, i) => makeKey(`unknown-${i}`)));
  const floods = await Promise.all(
    Array.from({ length: 100 }, async (_, i) =>
      verifier.verify(await idp.sign({ sub: 'jane' }, { key: strangers[i % 5]! })),
    ),
  );
  t.ok(
    floods.every((r) => 'refused' in r),
    'tokens of unknown keys refused',
  );
  t.equal(idp.hits.jwks, 1, 'a hundred unknown kids fetched nothing more within the cool-down');
});

t.test(
  'refuses an expired token, a token not valid yet, a wrong audience and a wrong issuer; allows a small skew',
  async (t) => {
    const { idp, verifier, auth } = await setup(t);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ['expired', idp.sign({ sub: 'jane' }, { exp: now - 120 }), /ERR_JWT_EXPIRED/],
      ['nbf in the future', idp.sign({ sub: 'jane' }, { nbf: now + 300 }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/],
      ['wrong audience', idp.sign({ sub: 'jane' }, { aud: 'another-app' }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/],
      [
        'wrong issuer',
        idp.sign({ sub: 'jane' }, { iss: 'https://evil.example' }),
        /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/,
      ],
    ];
    for (const [what, jwt, reason] of cases) {
      t.match(await verifier.verify(await jwt), { refused: reason }, what);
      t.equal(await auth.authenticate(`Bearer ${await jwt}`), null, `${what}: 401`);
    }
    t.match(
      await verifier.verify(await idp.sign({ sub: 'jane' }, { exp: now - 10 })),
      { name: 'jane' },
      'expired 10 s ago: within the skew',
    );
    t.match(
      await verifier.verify(await idp.sign({ sub: 'jane' }, { nbf: now + 10 })),
      { name: 'jane' },
      'valid in 10 s: within the skew',
    );
    const noExp = await new SignJWT({ sub: 'jane' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(idp.url)
      .setAudience('ccr')
      .sign(idp.keys[0]!.privateKey);
    t.match(await verifier.verify(noExp), { refused: /exp/ }, 'a token that never expires is refused');
  },
);

t.test("refuses alg none and an HS256 token keyed with the issuer's public key", async (t) => {
  const { idp, verifier, auth } = await setup(t);
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'admin', iss: idp.url, aud: 'ccr', exp: now + 300, iat: now };
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
  t.match(await verifier.verify(none), { refused: /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/ }, 'alg none');
  t.equal(await auth.authenticate(`Bearer ${none}`), null);
  t.equal(await auth.authenticate(basic('admin', none)), null, 'as the Basic password too');
  const k = idp.keys[0]!;
  for (const [what, secret] of [
    ['PEM', k.spki],
    ['JWK', JSON.stringify(k.jwk)],
    ['x coordinate', String(k.jwk.x)],
  ] as const) {
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: k.kid })
      .sign(new TextEncoder().encode(secret));
    t.match(
      await verifier.verify(forged),
      { refused: /ERR_JOSE_ALG_NOT_ALLOWED/ },
      `HS256 keyed with the public key as ${what}`,
    );
  }
  const sigless = (await idp.sign({ sub: 'admin' })).split('.').slice(0, 2).join('.') + '.';
  t.match(await verifier.verify(sigless), { refused: /ERR_JWS/ }, 'a real header and payload without their signature');
  const [h, , s] = (await idp.sign({ sub: 'jane' })).split('.');
  t.match(
    await verifier.verify(`${h}.${b64({ ...claims, sub: 'admin' })}.${s}`),
    { refused: /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/ },
    "jane's signature over a payload changed to admin",
  );
});

t.test(
  'maps a participant_id claim or another claim to a principal; an unknown principal is refused and not created',
  async (t) => {
    const { idp, verifier, identity } = await setup(t);
    t.match(
      await verifier.verify(await idp.sign({ sub: 'a0a0a0a0-unknown', participant_id: jane.participant_id })),
      { name: 'jane' },
      'found by its participant id',
    );
    t.match(
      await verifier.verify(await idp.sign({ sub: 'jane', participant_id: 'b0b0b0b0-0000-4000-8000-000000000001' })),
      { refused: /not bound to participant/ },
      'a name and a participant id that disagree',
    );
    t.match(await verifier.verify(await idp.sign({ sub: 'jane', participant_id: 'not-a-uuid' })), {
      refused: /to be a UUID/,
    });
    t.match(await verifier.verify(await idp.sign({ sub: 'nobody' })), { refused: /no principal for sub "nobody"/ });
    t.match(
      await verifier.verify(
        await idp.sign({
          sub: 'tom',
          participant_id: 'b0b0b0b0-0000-4000-8000-000000000001',
          role: 'clinician',
          name: 'Dr Tom Patel',
        }),
      ),
      { refused: /no principal/ },
      'creation is off by default',
    );
    t.equal(await identity.principal('tom'), null);

    const byEmail = new OidcVerifier(
      { ...verifier.config, principalClaim: 'preferred_username', kinds: ['participant', 'admin'] },
      identity,
    );
    t.match(
      await byEmail.verify(await idp.sign({ sub: '8f3e', preferred_username: 'admin' })),
      { kind: 'admin' },
      'an admin by sign-on when --oidc-kinds lists admin',
    );
    const participantsOnly = new OidcVerifier({ ...verifier.config, principalClaim: 'preferred_username' }, identity);
    t.match(
      await participantsOnly.verify(await idp.sign({ sub: '8f3e', preferred_username: 'admin' })),
      { refused: /principal admin is an admin; sign-on reaches only participant principals \(--oidc-kinds\)/ },
      'not by default: a user-editable claim equal to "admin" is refused',
    );
  },
);

t.test('creates a participant principal from the claims only when turned on, and only a valid one', async (t) => {
  const { idp, verifier, identity } = await setup(t, { createParticipants: true });
  const tom = {
    sub: 'tom',
    participant_id: 'b0b0b0b0-0000-4000-8000-000000000001',
    role: 'clinician',
    name: 'Dr Tom Patel',
  };
  for (const [what, claims] of [
    ['the system role', { ...tom, role: 'system' }],
    ['an unknown role', { ...tom, role: 'admin' }],
    ['no participant id', { ...tom, participant_id: undefined }],
    ['no name', { ...tom, name: undefined }],
    ['a name on two lines', { ...tom, name: 'Dr Tom\nPatel' }],
    ['a sub that is no principal name', { ...tom, sub: 'tom patel' }],
  ] as const) {
    t.match(await verifier.verify(await idp.sign(claims)), { refused: /expected/ }, what);
  }
  t.equal(await identity.principal('tom'), null, 'none of those created anything');
  t.match(await verifier.verify(await idp.sign(tom)), {
    kind: 'participant',
    name: 'tom',
    role: 'clinician',
    displayName: 'Dr Tom Patel',
  });
  t.match(await identity.principal('tom'), { kind: 'participant', participant_id: tom.participant_id });
  t.same(await identity.tokens('tom'), [], 'no token: it signs in through the issuer');
  t.match((await identity.audit(0, 100)).at(-1), {
    actor: `oidc:${idp.url}`,
    action: 'principal-created',
    principal: 'tom',
  });
  t.match(
    await verifier.verify(await idp.sign({ ...tom, role: 'patient', name: 'Tom' })),
    { name: 'tom', role: 'clinician' },
    'a second token finds it; its claims do not change it',
  );
  t.match(
    await verifier.verify(await idp.sign({ ...tom, sub: 'admin' })),
    { refused: /not bound to participant/ },
    'never turns an existing principal into another',
  );
});

t.test('an issuer that cannot be reached is 503, not 401, and is tried again after the cool-down', async (t) => {
  const { idp, verifier, auth } = await setup(t, { jwksCooldownMs: 200 });
  idp.setUp(false);
  const jwt = await idp.sign({ sub: 'jane' });
  await t.rejects(auth.authenticate(`Bearer ${jwt}`), { code: 'Unavailable' });
  await t.rejects(verifier.warmUp(), { code: 'CannotStart', message: /cannot be used/ });
  idp.setUp(true);
  await new Promise((r) => setTimeout(r, 300));
  t.match(await auth.authenticate(`Bearer ${jwt}`), { name: 'jane' });
});
