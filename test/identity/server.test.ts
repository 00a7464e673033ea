// Issue 15 end to end, against real servers (in process and `ccr serve`), the git CLI and real
// data folders: principals.json moved into the identity database with every old token working,
// tokens with a life (several, expiring, revocable at once for git and the API), single sign-on
// with a loopback issuer, "my records" kept by pushes and rebuilt when lost, and the access log
// naming who changed principals and tokens.

import Database from 'better-sqlite3';
import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { oidcConfig } from '../../server/identity/oidc.js';
import { TokenHasher } from '../../store/tokenHash.js';
import { ccr } from '../helpers/cli.js';
import { gitRun } from '../helpers/git.js';
import { issuer } from '../helpers/issuer.js';
import { clinicalId, jane, john, place, tom } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN, castPrincipals, testServer, type Creds } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const token = () => `ccr_${randomBytes(32).toString('base64url')}`;
const json = (body: Buffer) => JSON.parse(body.toString()) as any;
const identityLines = (data: string) =>
  readFileSync(`${data}/access.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l['event'] === 'identity');

/** `git clone` of a record with credentials in the URL; gives git's exit status and stderr. */
async function clone(
  t: Test,
  base: string,
  record: string,
  user: string,
  secret: string,
): Promise<{ status: number; stderr: string }> {
  const u = new URL(`${base}/coordination/${record}.git`);
  u.username = user;
  u.password = secret;
  const dir = tempDir(t);
  const r = await gitRun(dir, ['clone', '-q', u.toString(), 'copy'], { timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

/** Call the API of a server process. */
async function api(server: { url: string }, method: string, path: string, auth: Creds | string | null, body?: unknown) {
  const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (typeof auth === 'string') headers['Authorization'] = `Bearer ${auth}`;
  const r = await send(`${server.url}${path}`, {
    method,
    headers,
    auth: typeof auth === 'string' ? null : auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, headers: r.headers, body: r.body.length > 0 ? json(r.body) : null };
}

/** Poll `fn` until it is true, at most `tries` times (each try is a request: bounded by work, not by a clock). */
async function eventually(fn: () => Promise<boolean>, tries = 300): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

t.test(
  'principals.json of an existing data folder moves into the database on first start; ' + 'every old token works',
  async (t) => {
    const data = tempDir(t);
    // The folder as the code before the database left it: keyed hashes under token.key, and one
    // principal from before keyed hashes (a scrypt hash, rehashed on first use).
    const hasher = await TokenHasher.open(`${data}/token.key`, true);
    const janeToken = token();
    const auditToken = token();
    const salt = randomBytes(16);
    const principals = [
      { name: 'admin', kind: 'admin', token_hash: hasher.hash(ADMIN_TOKEN), created_at: '2026-01-01T00:00:00.000Z' },
      {
        name: 'jane',
        kind: 'participant',
        participant_id: jane.participant_id,
        role: jane.role,
        display_name: jane.display_name,
        token_hash: hasher.hash(janeToken),
        created_at: '2026-01-02T00:00:00.000Z',
      },
      {
        name: 'audit',
        kind: 'auditor',
        salt: salt.toString('base64'),
        hash: scryptSync(auditToken, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64'),
        created_at: '2026-01-03T00:00:00.000Z',
      },
    ];
    writeFileSync(`${data}/principals.json`, JSON.stringify({ version: 1, principals }, null, 2), { mode: 0o600 });

    const server = await serveProcess(['--data', data, '--port', '0'], {}, undefined, true);
    t.teardown(() => killGroup(server));
    t.notOk(existsSync(`${data}/principals.json`), 'the file is moved away');
    t.ok(existsSync(`${data}/principals.json.migrated`), 'and kept beside, for a rollback');
    t.ok(
      server.lines.some((l) => l['event'] === 'principals-migrated' && l['imported'] === 3),
      'the log says so',
    );
    t.notOk(
      server.lines.some((l) => l['event'] === 'admin-created'),
      'the migrated admin is kept, no new one made',
    );
    const admin: Creds = { name: 'admin', token: ADMIN_TOKEN };
    const made = await api(server, 'POST', '/api/records', admin, {
      clinical_id: clinicalId,
      care_location: place,
      thread: { participants: [jane] },
    });
    t.equal(made.status, 201, 'the old admin token works over the API');
    const record = made.body.coordination_id as string;
    t.equal(
      (await api(server, 'GET', `/api/records/${record}`, { name: 'jane', token: janeToken })).status,
      200,
      'jane over the API',
    );
    t.equal((await clone(t, server.url, record, 'jane', janeToken)).status, 0, 'jane over git clone');
    t.equal((await clone(t, server.url, record, 'audit', auditToken)).status, 0, 'a scrypt-era token over git clone');
    t.equal(
      (await api(server, 'GET', `/api/records/${record}`, { name: 'audit', token: auditToken })).status,
      200,
      'and the API',
    );
    t.equal(
      (await api(server, 'GET', '/api/records', { name: 'audit', token: `${auditToken}x` })).status,
      401,
      'a wrong one is refused',
    );
    const listed = await api(server, 'GET', '/api/principals', admin);
    t.match(
      listed.body.principals,
      [
        { name: 'admin', kind: 'admin', created_at: '2026-01-01T00:00:00.000Z' },
        { name: 'audit', kind: 'auditor', created_at: '2026-01-03T00:00:00.000Z' },
        {
          name: 'jane',
          kind: 'participant',
          participant_id: jane.participant_id,
          role: jane.role,
          display_name: jane.display_name,
        },
      ],
      'names, kinds, bindings and creation times carried over',
    );
    t.match(
      identityLines(data),
      [{ actor: 'server', action: 'principals-migrated', principal: '*', detail: { count: 3 } }],
      'in the access log',
    );

    await killGroup(server);
    const again = await serveProcess(['--data', data, '--port', '0'], {}, undefined, true);
    t.teardown(() => killGroup(again));
    t.notOk(
      again.lines.some((l) => l['event'] === 'principals-migrated'),
      'a second start moves nothing',
    );
    t.equal(
      (await clone(t, again.url, record, 'audit', auditToken)).status,
      0,
      'the rehashed token still works after a restart',
    );
  },
);

t.test(
  'tokens: several per principal, listed without secrets, ' +
    'expired and revoked ones refused at once for git and API',
  async (t) => {
    const s = await testServer(t);
    const cast = await castPrincipals(s);
    const rec = await s.record({ participants: [jane, tom] });
    const gitOk = async (c: Creds) => (await clone(t, s.url, rec.id, c.name, c.token)).status === 0;
    const apiOk = async (c: Creds) => (await s.api('GET', `/api/records/${rec.id}`, c)).status === 200;
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

    const unasked = await s.api('POST', '/api/principals/jane/tokens', cast.jane, { label: 'laptop' });
    t.equal(unasked.status, 201, "a principal's own token with no expiry asked is made…");
    t.ok(Date.parse(unasked.body.expires_at) <= Date.now() + 90 * 86_400_000, '…and expires within 90 days');
    t.equal((await s.api('DELETE', `/api/principals/jane/tokens/${unasked.body.id}`, cast.jane)).status, 204);
    const laptop = await s.api('POST', '/api/principals/jane/tokens', cast.jane, {
      label: 'laptop',
      expires_at: inDays(30),
    });
    t.equal(laptop.status, 201);
    t.match(laptop.body, { id: /^tok_/, token: /^ccr_[A-Za-z0-9_-]{43}$/, expires_at: /Z$/ });
    const second: Creds = { name: 'jane', token: laptop.body.token };
    t.ok(await gitOk(second), 'a second token works over git clone');
    t.ok(await apiOk(second), 'and the API');
    t.ok(await apiOk(cast.jane), 'the first still works');

    const expiresAt = Date.now() + 8000;
    const short = await s.api('POST', '/api/principals/jane/tokens', s.admin, {
      label: 'short',
      expires_at: new Date(expiresAt).toISOString(),
    });
    t.equal(short.status, 201, 'an admin makes a token for jane');
    const shortCreds: Creds = { name: 'jane', token: short.body.token };
    t.ok(await apiOk(shortCreds), 'it works before its expiry');

    const listed = await s.api('GET', '/api/principals/jane/tokens', cast.jane);
    t.equal(listed.status, 200);
    t.equal(listed.body.tokens.length, 3);
    t.match(listed.body.tokens[1], {
      id: laptop.body.id,
      label: 'laptop',
      expires_at: laptop.body.expires_at,
      last_used_at: /Z$/,
    });
    const text = JSON.stringify(listed.body);
    for (const secret of [cast.jane.token, second.token, shortCreds.token])
      t.notOk(text.includes(secret), 'no secret listed');
    t.notMatch(text, /hash|salt|hmac/, 'nor a hash');

    t.equal((await s.api('GET', '/api/principals/jane/tokens', cast.tom)).status, 403, 'an outsider cannot list them');
    t.equal(
      (await s.api('DELETE', `/api/principals/jane/tokens/${laptop.body.id}`, cast.tom)).status,
      403,
      'nor revoke one',
    );
    t.equal(
      (await s.api('POST', '/api/principals/jane/tokens', cast.tom, { expires_at: inDays(1) })).status,
      403,
      'nor make one',
    );
    t.equal(
      (await s.api('DELETE', `/api/principals/tom/tokens/${laptop.body.id}`, cast.tom)).status,
      404,
      'nor revoke it as its own',
    );
    t.ok(await apiOk(second), 'the token stands');

    t.equal(
      (await s.api('DELETE', `/api/principals/jane/tokens/${laptop.body.id}`, cast.jane)).status,
      204,
      'jane revokes it',
    );
    t.equal((await s.api('GET', `/api/records/${rec.id}`, second)).status, 401, 'refused at once over the API');
    const refused = await clone(t, s.url, rec.id, 'jane', second.token);
    t.not(refused.status, 0, 'and over git');
    t.match(refused.stderr, /401|Authentication failed|could not read Username/);
    t.ok(await gitOk(cast.jane), 'her first token still works');

    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 50)));
    t.equal(
      (await s.api('GET', `/api/records/${rec.id}`, shortCreds)).status,
      401,
      'an expired token is refused over the API',
    );
    t.not((await clone(t, s.url, rec.id, 'jane', shortCreds.token)).status, 0, 'and over git');

    t.same(
      identityLines(s.data).map((l) => [l['actor'], l['action'], l['principal']]),
      [
        ['server', 'principal-created', 'admin'],
        ['server', 'token-created', 'admin'],
        ['admin', 'principal-created', 'jane'],
        ['admin', 'token-created', 'jane'],
        ['admin', 'principal-created', 'tom'],
        ['admin', 'token-created', 'tom'],
        ['admin', 'principal-created', 'john'],
        ['admin', 'token-created', 'john'],
        ['jane', 'token-created', 'jane'],
        ['jane', 'token-revoked', 'jane'],
        ['jane', 'token-created', 'jane'],
        ['admin', 'token-created', 'jane'],
        ['jane', 'token-revoked', 'jane'],
      ],
      'every change is in the access log with who made it',
    );
    t.notOk(readFileSync(`${s.data}/access.log`, 'utf8').includes(second.token), 'never a secret');
  },
);

t.test('ccr principal token add|list|revoke on the data folder of a running server take effect at once', async (t) => {
  const s = await testServer(t);
  await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const added = await ccr([
    'principal',
    'token',
    'add',
    'jane',
    '--label',
    'cli',
    '--expires-in',
    '1d',
    '--data',
    s.data,
    '--json',
  ]);
  t.equal(added.status, 0, added.stderr);
  const made = JSON.parse(added.stdout) as { id: string; token: string };
  t.equal(
    (await s.api('GET', `/api/records/${rec.id}`, { name: 'jane', token: made.token })).status,
    200,
    'the new token works',
  );
  const list = await ccr(['principal', 'token', 'list', 'jane', '--data', s.data]);
  t.match(list.stdout, new RegExp(`${made.id}\tcli\t`));
  t.notOk(list.stdout.includes(made.token), 'no secret listed');
  t.equal((await ccr(['principal', 'token', 'revoke', 'jane', made.id, '--data', s.data])).status, 0);
  t.equal(
    (await s.api('GET', `/api/records/${rec.id}`, { name: 'jane', token: made.token })).status,
    401,
    'revoked at once',
  );
  const bad = await ccr(['principal', 'token', 'add', 'jane', '--expires-in', 'soon', '--data', s.data]);
  t.equal(bad.status, 2, 'a bad --expires-in is a usage error');
  const p = await ccr(['principal', 'list', '--data', s.data]);
  t.match(p.stdout, /^jane\tparticipant\t/m, 'ccr principal list reads the database');
  const doctor = await ccr(['doctor', '--data', s.data, '--json']);
  t.match(doctor.stdout, /"area": "principals"[^}]*"status": "ok"/, 'ccr doctor checks the database');
});

t.test(
  'single sign-on with ccr serve --oidc-issuer: a JWT as Bearer and as the git password; ' + 'bad ones get a clear 401',
  async (t) => {
    const idp = await issuer(t);
    const data = tempDir(t);
    const server: ServerProcess = await serveProcess(
      ['--data', data, '--port', '0', '--oidc-issuer', idp.url, '--oidc-audience', 'ccr'],
      { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
      undefined,
      true,
    );
    t.teardown(() => killGroup(server));
    const admin: Creds = { name: 'admin', token: ADMIN_TOKEN };
    t.equal(
      (
        await api(server, 'POST', '/api/principals', admin, {
          name: 'jane',
          kind: 'participant',
          participant_id: jane.participant_id,
          role: jane.role,
          display_name: jane.display_name,
        })
      ).status,
      201,
    );
    const made = await api(server, 'POST', '/api/records', admin, {
      clinical_id: clinicalId,
      care_location: place,
      thread: { participants: [jane] },
    });
    const record = made.body.coordination_id as string;

    const good = await idp.sign({ sub: 'jane' });
    t.equal((await api(server, 'GET', `/api/records/${record}`, good)).status, 200, 'Bearer JWT over the API');
    t.equal(
      (await clone(t, server.url, record, 'oauth2', good)).status,
      0,
      'the JWT as the Basic password of git clone',
    );

    const now = Math.floor(Date.now() / 1000);
    const [header, payload] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const hs256 = await new SignJWT({ sub: 'jane' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(idp.url)
      .setAudience('ccr')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(idp.keys[0]!.spki));
    const bad: Array<[string, string]> = [
      ['expired', await idp.sign({ sub: 'jane' }, { exp: now - 600 })],
      ['wrong audience', await idp.sign({ sub: 'jane' }, { aud: 'someone-else' })],
      ['wrong issuer', await idp.sign({ sub: 'jane' }, { iss: 'https://issuer.invalid' })],
      ['alg none', none],
      ['HS256 keyed with the public key', hs256],
      ['unknown principal', await idp.sign({ sub: 'nobody' })],
      ['the admin, a kind --oidc-kinds does not list', await idp.sign({ sub: 'admin' })],
      [
        'a changed payload',
        `${header}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${good.split('.')[2]}`,
      ],
    ];
    for (const [what, jwt] of bad) {
      const r = await api(server, 'GET', `/api/records/${record}`, jwt);
      t.equal(r.status, 401, `${what}: 401`);
      t.match(
        r.body,
        { error: { code: 'Unauthorized', message: 'authentication required' } },
        `${what}: a clear refusal`,
      );
      t.match(String(r.headers['www-authenticate']), /Basic realm="CCR"/);
    }
    t.not((await clone(t, server.url, record, 'oauth2', bad[0]![1])).status, 0, 'an expired JWT is refused over git');
    t.ok(
      server.lines.filter((l) => l['event'] === 'oidc-refused').length >= bad.length,
      'each refusal is logged with its reason',
    );
  },
);

t.test(
  'my records: kept up to date by pushes and API writes, paged, rebuilt when lost; ' + 'an admin lists every record',
  async (t) => {
    const s = await testServer(t);
    const cast = await castPrincipals(s);
    const first = await s.record({ participants: [jane, tom] });
    const second = await s.record({ participants: [tom] });
    const mine = async (c: Creds, q = '') => {
      const r = await s.api('GET', `/api/records${q}`, c);
      return r.status === 200 ? (r.body.records as string[]) : [`status ${r.status}`];
    };
    t.ok(
      await eventually(async () => (await mine(cast.jane)).join() === first.id),
      'jane has the record she takes part in',
    );
    t.same(await mine(cast.john), [], 'john none yet');

    // tom adds john to his thread of the second record with ccr, and pushes.
    const home = tempDir(t);
    const env = { CCR_USER: 'tom', CCR_TOKEN: cast.tom.token, CCR_CONFIG: `${home}/tom.json` };
    const settings = [
      ['participant-id', tom.participant_id],
      ['display-name', tom.display_name],
      ['role', tom.role],
      ['care-location', place],
    ];
    for (const [k, v] of settings) {
      t.equal((await ccr(['config', 'set', k!, v!], { cwd: home, env })).status, 0);
    }
    t.equal((await ccr(['clone', s.url, second.id, 'copy'], { cwd: home, env })).status, 0);
    const wc = `${home}/copy`;
    const johnIs = `${john.participant_id}:patient:${john.display_name}`;
    const add = await ccr(['thread', 'update', second.thread!, '--add-participant', johnIs], { cwd: wc, env });
    t.equal(add.status, 0, add.stderr);
    t.equal((await ccr(['push'], { cwd: wc, env })).status, 0, 'pushed');
    t.ok(
      await eventually(async () => (await mine(cast.john)).includes(second.id)),
      "after the push, john's list has the record",
    );
    const third = await s.record({ participants: [john] });
    t.ok(await eventually(async () => (await mine(cast.john)).length === 2), 'and one created through the API');
    const sorted = [second.id, third.id].sort();
    const page1 = await s.api('GET', '/api/records?limit=1', cast.john);
    t.same(page1.body, { records: [sorted[0]], next: sorted[0] }, 'paged');
    t.same((await s.api('GET', `/api/records?limit=1&after=${sorted[0]}`, cast.john)).body, { records: [sorted[1]] });
    const listed = await ccr(['records', s.url, '--json'], { env: { CCR_USER: 'john', CCR_TOKEN: cast.john.token } });
    t.same(JSON.parse(listed.stdout).records, sorted, 'ccr records lists them');

    const remove = await ccr(['thread', 'update', second.thread!, '--remove-participant', john.participant_id], {
      cwd: wc,
      env,
    });
    t.equal(remove.status, 0, remove.stderr);
    t.equal((await ccr(['push'], { cwd: wc, env })).status, 0);
    t.ok(
      await eventually(async () => !(await mine(cast.john)).includes(second.id)),
      'removed from every thread of it: gone from his list',
    );
    t.equal((await s.api('GET', `/api/records/${second.id}`, cast.john)).status, 404, 'as his access is');

    const all = await s.api('GET', '/api/records', s.admin);
    t.same(all.body.records, [first.id, second.id, third.id].sort(), 'an admin still lists every record');

    // The index lost: the next start rebuilds it from the records.
    await s.server.close();
    const db = new Database(`${s.data}/identity.sqlite`);
    db.exec(
      'DELETE FROM record_participants; DELETE FROM record_heads;' +
        " DELETE FROM meta WHERE key = 'record_index_complete'",
    );
    db.close();
    const again = await serveProcess(['--data', s.data, '--port', '0'], {}, undefined, true);
    t.teardown(() => killGroup(again));
    let answer: Awaited<ReturnType<typeof api>> | null = null;
    t.ok(
      await eventually(async () => (answer = await api(again, 'GET', '/api/records', cast.john)).status === 200),
      'answers once rebuilt',
    );
    t.same(answer!.body.records, [third.id], 'rebuilt from the records');
  },
);

t.test("my records at a peer site: records that arrive by sync rounds are in its participants' lists", async (t) => {
  const nodes = [
    { name: 'a', data: tempDir(t), port: await freePort() },
    { name: 'b', data: tempDir(t), port: await freePort() },
  ] as const;
  for (const [self, other] of [
    [nodes[0], nodes[1]],
    [nodes[1], nodes[0]],
  ] as const) {
    const made = await ccr(['principal', 'add', `site-${self.name}`, '--kind', 'site', '--data', other.data, '--json']);
    const secret = (JSON.parse(made.stdout) as { token: string }).token;
    writeFileSync(
      `${self.data}/sites.json`,
      JSON.stringify({
        interval_seconds: 1,
        peers: [
          {
            name: other.name,
            url: `http://127.0.0.1:${other.port}`,
            user: `site-${self.name}`,
            token: secret,
            records: 'all',
          },
        ],
      }),
    );
  }
  const added = await ccr([
    'principal',
    'add',
    'john',
    '--kind',
    'participant',
    '--participant-id',
    john.participant_id,
    '--role',
    'patient',
    '--display-name',
    john.display_name,
    '--data',
    nodes[1].data,
    '--json',
  ]);
  const johnAtB: Creds = { name: 'john', token: (JSON.parse(added.stdout) as { token: string }).token };
  const procs: ServerProcess[] = [];
  for (const n of nodes) {
    const p = await serveProcess(
      ['--data', n.data, '--port', String(n.port)],
      { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
      undefined,
      true,
    );
    t.teardown(() => killGroup(p));
    procs.push(p);
  }
  const admin: Creds = { name: 'admin', token: ADMIN_TOKEN };
  const made = await api(procs[0]!, 'POST', '/api/records', admin, {
    clinical_id: clinicalId,
    care_location: place,
    thread: { participants: [john] },
  });
  t.equal(made.status, 201);
  const id = made.body.coordination_id as string;
  t.ok(
    await eventually(async () => {
      const r = await api(procs[1]!, 'GET', '/api/records', johnAtB);
      return r.status === 200 && (r.body.records as string[]).includes(id);
    }, 600),
    "the record made at A is in john's list at B once sync brought it",
  );
});

t.test(
  'single sign-on creates a participant principal only when the operator turned it on, ' + 'and says who did',
  async (t) => {
    const idp = await issuer(t);
    const claims = { sub: 'pat', participant_id: john.participant_id, role: 'patient', name: john.display_name };
    const off = await testServer(t, { oidc: oidcConfig({ 'oidc-issuer': idp.url, 'oidc-audience': 'ccr' }, {})! });
    t.equal(
      (await api(off, 'GET', '/api/records', await idp.sign(claims))).status,
      401,
      'off: an unknown principal is refused',
    );
    t.equal((await off.api('GET', '/api/principals', off.admin)).body.principals.length, 1, 'and none is created');

    const on = await testServer(t, {
      oidc: oidcConfig({ 'oidc-issuer': idp.url, 'oidc-audience': 'ccr', 'oidc-create-participants': true }, {})!,
    });
    const rec = await on.record({ participants: [john] });
    const jwt = await idp.sign(claims);
    const mine = await api(on, 'GET', '/api/records', jwt);
    t.equal(mine.status, 200, 'on: the token signs in');
    const listed = async () => (await api(on, 'GET', '/api/records', jwt)).body.records as string[];
    t.ok(await eventually(async () => (await listed()).includes(rec.id)), 'to its records');
    t.match((await on.api('GET', '/api/principals', on.admin)).body.principals, [
      { name: 'admin' },
      {
        name: 'pat',
        kind: 'participant',
        participant_id: john.participant_id,
        role: 'patient',
        display_name: john.display_name,
      },
    ]);
    const systemRole = await idp.sign({ ...claims, sub: 'pat2', participant_id: tom.participant_id, role: 'system' });
    t.equal((await api(on, 'GET', '/api/records', systemRole)).status, 401, 'never with a role a person cannot have');
    t.match(
      identityLines(on.data).at(-1),
      { actor: `oidc:${idp.url}`, action: 'principal-created', principal: 'pat' },
      'in the access log',
    );
  },
);
