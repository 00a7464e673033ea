// Signed commits (issue 14): signing keys over the API, the allowed signers file checked by
// `git verify-commit`, and the `ccr/commit-signature` rule on pushes made with the real git CLI
// and keys made by ssh-keygen, with and without `--require-signed-commits`.

import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place, tom } from '../helpers/people.js';
import { killGroup, serveProcess } from '../helpers/process.js';
import { ADMIN_TOKEN, castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { keygen, keyProof, keygenSign, keygenFingerprint, keygenKinds, type KeygenKey } from '../helpers/ssh.js';
import { tempDir } from '../helpers/tmp.js';
import { ccr } from '../helpers/cli.js';

const ed25519 = keygenKinds[0];
const identityLines = (data: string) =>
  readFileSync(`${data}/access.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l['event'] === 'identity');

/** Register a key through the API; gives the answer's body. */
async function register(t: Test, s: TestServer, by: Creds, name: string, key: KeygenKey, extra: object = {}) {
  const proof = by === s.admin ? {} : { proof: keyProof(tempDir(t), key, name) };
  const r = await s.api('POST', `/api/principals/${name}/keys`, by, { public_key: key.line, ...proof, ...extra });
  t.equal(r.status, 201, `key registered for ${name}: ${JSON.stringify(r.body)}`);
  return r.body as { id: string; fingerprint: string };
}

/** A clone of a record, as `who`. */
async function cloneAs(t: Test, s: TestServer, record: string, who: Creds): Promise<string> {
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(record, who), 'c']);
  return `${work}/c`;
}

/** Add a message with the library, then sign that commit with `git commit -S` (gpg.format=ssh) unless no key. */
async function message(dir: string, thread: string, body: string, key: KeygenKey | null): Promise<string> {
  await (await CoordinationService.at(dir)).addMessage(committer, place, thread, { author: as(jane), body });
  if (key) {
    const sign = ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key.path}`];
    await gitOk(dir, [...sign, 'commit', '-q', '--amend', '--no-edit', '-S']);
  }
  return (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
}

/** Push main; gives git's status and its remote: lines. */
async function push(dir: string): Promise<{ status: number; remote: string }> {
  const r = await gitRun(dir, ['push', '-q', 'origin', 'HEAD:main']);
  return {
    status: r.status,
    remote: r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote:'))
      .join('\n'),
  };
}

/** Replace HEAD by a copy with its author or committer time one second earlier: its signature no longer verifies. */
async function tamper(dir: string, who: 'author' | 'committer'): Promise<string> {
  const object = await gitOk(dir, ['cat-file', 'commit', 'HEAD']);
  const changed = object.replace(
    new RegExp(`^(${who} .*> )(\\d+)`, 'm'),
    (_m, head: string, time: string) => `${head}${Number(time) - 1}`,
  );
  const oid = (await gitOk(dir, ['hash-object', '-t', 'commit', '-w', '--stdin'], { input: changed })).trim();
  await gitOk(dir, ['reset', '-q', '--hard', oid]);
  return oid;
}

/** Forget the last local commit (after a refused push) so the next case starts from main. */
async function reset(dir: string): Promise<void> {
  await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
}

t.test('keys: admin adds, a principal its own, outsiders cannot, bad and private keys refused', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const dir = tempDir(t);
  const a = keygen(dir, ed25519);
  const b = keygen(dir, keygenKinds[3]);
  const byAdmin = await register(t, s, s.admin, 'jane', a, { valid_before: '2099-01-01T00:00:00Z' });
  t.match(byAdmin, {
    id: /^key_[A-Za-z0-9_-]{12}$/,
    principal: 'jane',
    valid_before: '2099-01-01T00:00:00.000Z',
    revoked_at: null,
  });
  t.equal(byAdmin.fingerprint, keygenFingerprint(dir, a.line).split(' ')[1], 'the fingerprint ssh-keygen -lf prints');
  const own = await register(t, s, cast.jane, 'jane', b);
  for (const [method, path, body] of [
    ['POST', '/api/principals/jane/keys', { public_key: keygen(dir, ed25519).line }],
    ['GET', '/api/principals/jane/keys', undefined],
    ['DELETE', `/api/principals/jane/keys/${own.id}`, undefined],
  ] as const) {
    const r = await s.api(method, path, cast.tom, body);
    t.equal(r.status, 403, `tom: ${method} ${path} → 403`);
  }
  const listed = await s.api('GET', '/api/principals/jane/keys', cast.jane);
  t.equal(listed.status, 200);
  t.same(
    (listed.body as any).keys.map((k: any) => k.id),
    [byAdmin.id, own.id],
  );
  t.notMatch(JSON.stringify(listed.body), /PRIVATE|openssh-key-v1/, 'no private material is listed');
  const twice = await s.api('POST', '/api/principals/jane/keys', cast.jane, {
    public_key: a.line,
    proof: keyProof(dir, a, 'jane'),
  });
  t.equal(twice.status, 409, 'a key is registered once');

  // Nobody registers for itself a key it does not hold: another's public key is not a claim to it.
  const toms = keygen(dir, ed25519);
  const squat = [
    ['no proof', { public_key: toms.line }],
    ['a proof by another key', { public_key: toms.line, proof: keyProof(dir, b, 'jane') }],
    ['a proof made for another name', { public_key: toms.line, proof: keyProof(dir, toms, 'tom') }],
    [
      'a proof in another namespace',
      {
        public_key: toms.line,
        proof: keygenSign(dir, toms.path, new TextEncoder().encode('ccr key registration: jane\n'), 'git'),
      },
    ],
  ] as const;
  for (const [what, body] of squat) {
    const r = await s.api('POST', '/api/principals/jane/keys', cast.jane, body);
    t.equal(r.status, 400, `${what}: 400`);
    t.match(
      r.body.error.message,
      /expected proof: a signature by this key over "ccr key registration: jane" in namespace ccr-key-registration/,
    );
  }
  t.equal(
    (
      await s.api('POST', '/api/principals/tom/keys', cast.tom, {
        public_key: toms.line,
        proof: keyProof(dir, toms, 'tom'),
      })
    ).status,
    201,
    'its holder registers it with its proof',
  );
  // The site key is the server's: no principal holds it, not even by an admin's hand.
  const siteLine = (await s.api('GET', '/api/allowed-signers', s.admin)).body
    .split('\n')[0]
    .replace(/^ccr-server namespaces="[^"]*" /, '');
  for (const by of [s.admin, cast.jane]) {
    const r = await s.api('POST', '/api/principals/jane/keys', by, { public_key: siteLine });
    t.equal(r.status, 409, `the site key from ${by.name}: 409`);
    t.match(r.body.error.message, /this server's own site key/);
  }
  t.equal(
    (await s.api('POST', '/api/principals', s.admin, { name: 'ccr-server', kind: 'auditor' })).status,
    400,
    'nor its name',
  );

  const refusals: Array<[string, unknown, RegExp]> = [
    [
      'a private key',
      { public_key: readFileSync(a.path, 'utf8') },
      /looks like a private key: the server never takes private keys/,
    ],
    ['a private_key field', { public_key: a.line, private_key: 'x' }, /looks like a private key/],
    [
      'a DSA key',
      { public_key: `ssh-dss ${Buffer.from('\x00\x00\x00\x07ssh-dss', 'latin1').toString('base64')}` },
      /public_key refused \(unsupported\)/,
    ],
    ['garbage', { public_key: 'ssh-ed25519 not-base64!' }, /public_key refused \(malformed\): expected/],
    ['an unknown type', { public_key: 'not a key' }, /public_key refused \(unsupported\): expected a key of type/],
    [
      'an empty window',
      {
        public_key: keygen(dir, ed25519).line,
        valid_after: '2030-01-01T00:00:00Z',
        valid_before: '2029-01-01T00:00:00Z',
      },
      /expected valid_before later than valid_after/,
    ],
  ];
  for (const [what, body, reason] of refusals) {
    const r = await s.api('POST', '/api/principals/jane/keys', s.admin, body);
    t.equal(r.status, 400, `${what} → 400`);
    t.match((r.body as any).error.message, reason, what);
  }
  const revoked = await s.api('DELETE', `/api/principals/jane/keys/${own.id}`, cast.jane);
  t.equal(revoked.status, 200);
  t.match(revoked.body, { id: own.id, revoked_at: /^\d{4}-/ });
  t.equal((await s.api('DELETE', `/api/principals/jane/keys/${own.id}`, cast.jane)).status, 409, 'revoked once');
  const after = await s.api('GET', '/api/principals/jane/keys', s.admin);
  t.match(
    (after.body as any).keys,
    [
      { id: byAdmin.id, revoked_at: null },
      { id: own.id, revoked_at: /^\d{4}-/ },
    ],
    'kept, as revoked',
  );
  const audit = identityLines(s.data).filter((l) => /^key-/.test(l['action']));
  t.match(
    audit.map((l) => [l['actor'], l['action'], l['principal']]),
    [
      ['admin', 'key-added', 'jane'],
      ['jane', 'key-added', 'jane'],
      ['tom', 'key-added', 'tom'],
      ['jane', 'key-revoked', 'jane'],
    ],
    'audited',
  );
});

t.test('allowed signers: git verify-commit accepts a registered key, rejects an unregistered one', async (t) => {
  const s = await testServer(t);
  const dir = tempDir(t);
  const good = keygen(dir, ed25519);
  const stranger = keygen(dir, ed25519);
  await register(t, s, s.admin, 'admin', good);
  const revokedKey = keygen(dir, ed25519);
  const gone = await register(t, s, s.admin, 'admin', revokedKey);
  t.equal((await s.api('DELETE', `/api/principals/admin/keys/${gone.id}`, s.admin)).status, 200);
  const rec = await s.record({ participants: [jane] });
  const answer = await s.api('GET', '/api/allowed-signers', s.admin);
  t.equal(answer.status, 200);
  const text = answer.body as string;
  const line = `admin namespaces="git" ${good.line.split(' ').slice(0, 2).join(' ')}`;
  t.ok(text.split('\n').includes(line), 'the key, no window');
  t.match(
    text,
    /^admin namespaces="git",valid-before="\d{14}Z" ssh-ed25519 /m,
    'a revoked key ends its window at the revocation',
  );
  const file = `${dir}/allowed_signers`;
  writeFileSync(file, text);
  const c = await cloneAs(t, s, rec.id, s.admin);
  const verify = (oid: string) =>
    gitRun(c, ['-c', `gpg.ssh.allowedSignersFile=${file}`, 'verify-commit', oid], { env: testGitEnv({ TZ: 'UTC' }) });
  const signed = await message(c, rec.thread!, 'Signed by a registered key.', good);
  const ok = await verify(signed);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stderr, /Good "git" signature for admin/);
  await reset(c);
  const other = await message(c, rec.thread!, 'Signed by a key nobody registered.', stranger);
  t.not((await verify(other)).status, 0, 'an unregistered key is rejected');
  await reset(c);
  const late = await message(c, rec.thread!, 'Signed after revocation.', revokedKey);
  t.not((await verify(late)).status, 0, 'a key signing after its revocation is rejected');
});

t.test('require-signed-commits: each refusal has its rule id and reason, the pusher-signed commit lands', async (t) => {
  const s = await testServer(t, { requireSignedCommits: true });
  const cast = await castPrincipals(s);
  const dir = tempDir(t);
  const mine = keygen(dir, ed25519);
  const janes = keygen(dir, ed25519);
  const stranger = keygen(dir, ed25519);
  const revoked = keygen(dir, ed25519);
  const expired = keygen(dir, ed25519);
  await register(t, s, s.admin, 'admin', mine);
  await register(t, s, s.admin, 'jane', janes);
  const gone = await register(t, s, s.admin, 'admin', revoked);
  t.equal((await s.api('DELETE', `/api/principals/admin/keys/${gone.id}`, s.admin)).status, 200);
  await register(t, s, s.admin, 'admin', expired, { valid_before: '2020-01-01T00:00:00Z' });
  const rec = await s.record({ participants: [jane, tom] });
  const c = await cloneAs(t, s, rec.id, s.admin);
  const cases: Array<[string, KeygenKey | null, RegExp]> = [
    [
      'unsigned',
      null,
      /ccr\/commit-signature: .*expected a commit signed by a key registered to admin, found an unsigned commit/,
    ],
    ['unknown key', stranger, /ccr\/commit-signature: .*found one by unknown key SHA256:/],
    [
      'key of another principal',
      janes,
      /ccr\/commit-signature: .*found one by key SHA256:\S+ of another principal \(jane\)/,
    ],
    ['revoked', revoked, /ccr\/commit-signature: .*of admin, revoked at \d{4}-/],
    ['outside its validity', expired, /ccr\/commit-signature: .*outside its validity \(… to 2020-01-01T00:00:00Z\)/],
  ];
  for (const [what, key, reason] of cases) {
    await message(c, rec.thread!, `A commit: ${what}.`, key);
    const r = await push(c);
    t.not(r.status, 0, `${what}: refused`);
    t.match(r.remote, reason, what);
    await reset(c);
  }
  // A bad signature: a signed commit whose author line was changed after signing.
  await message(c, rec.thread!, 'Tampered after signing.', mine);
  await tamper(c, 'author');
  const bad = await push(c);
  t.not(bad.status, 0, 'bad signature: refused');
  t.match(
    bad.remote,
    /ccr\/commit-signature: .*expected a signature that verifies, found a bad signature \(bad-signature\)/,
  );
  await reset(c);

  const good = await message(c, rec.thread!, 'Signed by the pusher.', mine);
  const landed = await push(c);
  t.equal(landed.status, 0, `the good neighbour lands: ${landed.remote}`);
  t.equal((await gitOk(c, ['ls-remote', 'origin', 'refs/heads/main'])).split('\t')[0], good);

  // A participant pushes from its view: its view commits are judged, signed with its own key.
  const v = await cloneAs(t, s, rec.id, cast.jane);
  await message(v, rec.thread!, 'Unsigned from a view.', null);
  const unsignedView = await push(v);
  t.not(unsignedView.status, 0, 'an unsigned view push is refused');
  t.match(unsignedView.remote, /ccr\/commit-signature: .*registered to jane, found an unsigned commit/);
  await reset(v);
  await message(v, rec.thread!, 'Signed in a view by jane.', janes);
  const viewPush = await push(v);
  t.equal(viewPush.status, 0, `jane's signed view push lands: ${viewPush.remote}`);
});

t.test('without the policy: unsigned and unknown keys pass, a bad or revoked signature is refused', async (t) => {
  const s = await testServer(t);
  const dir = tempDir(t);
  const stranger = keygen(dir, ed25519);
  const revoked = keygen(dir, ed25519);
  const gone = await register(t, s, s.admin, 'admin', revoked);
  t.equal((await s.api('DELETE', `/api/principals/admin/keys/${gone.id}`, s.admin)).status, 200);
  const rec = await s.record({ participants: [jane] });
  const c = await cloneAs(t, s, rec.id, s.admin);
  await message(c, rec.thread!, 'Unsigned is fine here.', null);
  t.equal((await push(c)).status, 0, 'unsigned accepted');
  await message(c, rec.thread!, 'An unknown key is fine here.', stranger);
  t.equal((await push(c)).status, 0, 'an unknown key accepted');
  await message(c, rec.thread!, 'By a revoked key.', revoked);
  const r = await push(c);
  t.not(r.status, 0, 'a revoked key is refused');
  t.match(r.remote, /ccr\/commit-signature: .*revoked at/);
  await reset(c);
  await message(c, rec.thread!, 'Tampered.', stranger);
  await tamper(c, 'committer');
  const bad = await push(c);
  t.not(bad.status, 0, 'a signature that does not verify is refused');
  t.match(bad.remote, /ccr\/commit-signature: .*bad-signature/);
});

t.test('ccr verify --allowed-signers: good, unsigned, unknown and bad signatures per commit, offline', async (t) => {
  const s = await testServer(t);
  const dir = tempDir(t);
  const mine = keygen(dir, ed25519);
  const stranger = keygen(dir, ed25519);
  await register(t, s, s.admin, 'admin', mine);
  const rec = await s.record({ participants: [jane] });
  const c = await cloneAs(t, s, rec.id, s.admin);
  const good = await message(c, rec.thread!, 'Signed by admin.', mine);
  const unknown = await message(c, rec.thread!, 'Signed by a stranger.', stranger);
  t.equal((await push(c)).status, 0);
  const file = `${dir}/allowed_signers`;
  writeFileSync(file, (await s.api('GET', '/api/allowed-signers', s.admin)).body as string);
  const clean = await ccr(['verify', c, '--allowed-signers', file]);
  t.equal(clean.status, 0, clean.stdout + clean.stderr);
  // The record and thread commits are the server's, signed with its site key (ccr-server).
  t.match(clean.stdout, /signatures: 3 good, 0 unsigned, 1 by unknown keys, 0 bad/);
  t.match(clean.stdout, new RegExp(`^${unknown} signature unknown: signed by key SHA256:`, 'm'));
  t.notMatch(clean.stdout, new RegExp(`^${good} `, 'm'), 'the good commit has no line');
  const json = JSON.parse((await ccr(['verify', c, '--allowed-signers', file, '--json'])).stdout) as any;
  t.match(json.signatures, [
    { status: 'good', principal: 'ccr-server' },
    { status: 'good', principal: 'ccr-server' },
    { commit: good, status: 'good', principal: 'admin' },
    { commit: unknown, status: 'unknown' },
  ]);

  // A tampered copy: the last commit's committer time changed after signing.
  const oid = await tamper(c, 'committer');
  const tampered = await ccr(['verify', c, '--allowed-signers', file]);
  t.equal(tampered.status, 1, 'a tampered copy fails');
  t.match(tampered.stdout, new RegExp(`^${oid} signature bad: bad-signature: `, 'm'));
  const broken = `${dir}/broken`;
  writeFileSync(broken, 'admin namespaces="git" ssh-ed25519 !!!\n');
  const usage = await ccr(['verify', c, '--allowed-signers', broken]);
  t.equal(usage.status, 2, 'an unreadable file is a usage error');
  t.match(usage.stderr, /broken line 1: /);
});

t.test('ccr serve: --require-signed-commits and CCR_REQUIRE_SIGNED_COMMITS=1 turn the policy on', async (t) => {
  const flag = await serveProcess(
    ['--data', tempDir(t), '--port', '0', '--require-signed-commits'],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
    undefined,
    true,
  );
  t.teardown(() => killGroup(flag));
  t.match(
    flag.lines.find((l) => l['event'] === 'listening'),
    { signedCommits: 'required' },
    'by the flag',
  );
  const env = await serveProcess(
    ['--data', tempDir(t), '--port', '0'],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN, CCR_REQUIRE_SIGNED_COMMITS: '1' },
    undefined,
    true,
  );
  t.teardown(() => killGroup(env));
  t.match(
    env.lines.find((l) => l['event'] === 'listening'),
    { signedCommits: 'required' },
    'by the environment',
  );
  const auth = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`;
  const created = await fetch(`${env.url}/api/records`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clinical_id: clinicalId, care_location: place, thread: { participants: [jane] } }),
  });
  const rec = (await created.json()) as { coordination_id: string; thread_id: string };
  const work = tempDir(t);
  const url = new URL(`${env.url}/coordination/${rec.coordination_id}.git`);
  url.username = 'admin';
  url.password = ADMIN_TOKEN;
  await gitOk(work, ['clone', '-q', url.toString(), 'c']);
  await message(`${work}/c`, rec.thread_id, 'Unsigned, to a server that requires signatures.', null);
  const r = await push(`${work}/c`);
  t.not(r.status, 0);
  t.match(r.remote, /ccr\/commit-signature: expected a commit signed by a key registered to admin, found an unsigned/);
  const plain = await serveProcess(
    ['--data', tempDir(t), '--port', '0'],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
    undefined,
    true,
  );
  t.teardown(() => killGroup(plain));
  t.match(
    plain.lines.find((l) => l['event'] === 'listening'),
    { signedCommits: 'checked' },
    'off by default',
  );
});
