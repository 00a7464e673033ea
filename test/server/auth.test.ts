import { appendFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { diskDigest, receivePackBody, remoteMain, send } from '../helpers/wire.js';

const MISSING = '0f0e0d0c-0b0a-4909-8807-060504030201';

t.test('the authorization matrix, with refs and disk unchanged by every refusal', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const auditor = await s.principal({ name: 'audit', kind: 'auditor' });
  const site = await s.principal({ name: 'peer', kind: 'site' });
  const integration = await s.principal({ name: 'engine', kind: 'integration' });
  const own = (await s.record({ participants: [jane, tom] })).id;
  const other = (await s.record({ participants: [tom] })).id;
  const bad: Creds = { name: 'admin', token: 'ccr_wrong' };
  const unknown: Creds = { name: 'nobody', token: 'ccr_whatever' };

  // Expected status for [own, other, missing] per principal and service.
  type Row = [name: string, creds: Creds | null, uploadPack: number[], receivePack: number[], summary: number[]];
  const rows: Row[] = [
    ['admin', s.admin, [200, 200, 404], [200, 200, 404], [200, 200, 404]],
    ['auditor', auditor, [200, 200, 404], [403, 403, 403], [200, 200, 404]],
    ['site', site, [200, 200, 404], [200, 200, 404], [200, 200, 404]],
    ['integration', integration, [200, 200, 404], [200, 200, 404], [200, 200, 404]],
    ['participant of own record', cast.jane, [200, 404, 404], [200, 404, 404], [200, 404, 404]],
    ['no credentials', null, [401, 401, 401], [401, 401, 401], [401, 401, 401]],
    ['a wrong token', bad, [401, 401, 401], [401, 401, 401], [401, 401, 401]],
    ['an unknown name', unknown, [401, 401, 401], [401, 401, 401], [401, 401, 401]],
  ];
  const base = `${s.url}/coordination`;
  for (const [name, creds, upload, receive, summary] of rows) {
    for (const [i, record] of [own, other, MISSING].entries()) {
      const before = diskDigest(`${s.data}/coordination`);
      const calls: Array<[string, Promise<{ status: number }>, number]> = [
        [
          'GET info/refs upload-pack',
          send(`${base}/${record}.git/info/refs?service=git-upload-pack`, { auth: creds }),
          upload[i]!,
        ],
        [
          'POST git-upload-pack',
          send(`${base}/${record}/git-upload-pack`, {
            method: 'POST',
            auth: creds,
            headers: { 'Content-Type': 'application/x-git-upload-pack-request' },
            body: '0000',
          }),
          upload[i]!,
        ],
        [
          'GET info/refs receive-pack',
          send(`${base}/${record}.git/info/refs?service=git-receive-pack`, { auth: creds }),
          receive[i]!,
        ],
        [
          'POST git-receive-pack',
          send(`${base}/${record}.git/git-receive-pack`, {
            method: 'POST',
            auth: creds,
            headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
            body: '0000',
          }),
          receive[i]!,
        ],
        ['GET /api/records/<id>', send(`${s.url}/api/records/${record}`, { auth: creds }), summary[i]!],
      ];
      for (const [what, call, expected] of calls)
        t.equal((await call).status, expected, `${name}, ${['own', 'other', 'missing'][i]} record: ${what}`);
      t.equal(diskDigest(`${s.data}/coordination`), before, `${name}: nothing changed on disk`);
    }
  }

  const api: Array<[string, Creds, number[]]> = [
    // [list records, create record, list principals, create principal, metrics]
    ['admin', s.admin, [200, 201, 200, 201, 200]],
    ['auditor', auditor, [200, 403, 403, 403, 200]],
    ['site', site, [200, 201, 403, 403, 403]],
    ['integration', integration, [403, 201, 403, 403, 403]],
    // A participant lists its own records (issue 15: "my records"), no longer 403.
    ['participant', cast.jane, [200, 201, 403, 403, 403]],
  ];
  for (const [name, creds, [list, create, principals, addPrincipal, metrics]] of api) {
    t.equal((await s.api('GET', '/api/records', creds)).status, list, `${name}: list records`);
    t.equal(
      (
        await s.api('POST', '/api/records', creds, {
          clinical_id: clinicalId,
          care_location: place,
          thread: { participants: [jane] },
        })
      ).status,
      create,
      `${name}: create a record`,
    );
    t.equal((await s.api('GET', '/api/principals', creds)).status, principals, `${name}: list principals`);
    t.equal(
      (await s.api('POST', '/api/principals', creds, { name: `made-by-${name}`, kind: 'auditor' })).status,
      addPrincipal,
      `${name}: create a principal`,
    );
    t.equal((await s.api('GET', '/metrics', creds)).status, metrics, `${name}: metrics`);
  }
  t.equal(
    (await s.api('POST', '/api/records', cast.tom, { clinical_id: clinicalId, care_location: place })).status,
    403,
    'a participant must include a thread',
  );
  t.equal(
    (
      await s.api('POST', '/api/records', cast.john, {
        clinical_id: clinicalId,
        care_location: place,
        thread: { participants: [jane] },
      })
    ).status,
    403,
    'in which they take part',
  );
  t.equal((await s.api('GET', '/healthz', null)).status, 200, '/healthz needs no credentials');
});

t.test('every unknown or bad credential gets the same 401, whether the record exists or not', async (t) => {
  const s = await testServer(t);
  const id = (await s.record()).id;
  const answers = new Set<string>();
  for (const record of [id, MISSING]) {
    for (const auth of [null, { name: 'admin', token: 'nope' }, { name: 'ghost', token: 'nope' }]) {
      const r = await send(`${s.url}/coordination/${record}.git/info/refs?service=git-upload-pack`, { auth });
      answers.add(`${r.status} ${r.headers['www-authenticate']} ${r.body.toString().replace(/"request":"\w+"/, '')}`);
    }
    for (const header of [
      'Basic !!!',
      'Bearer abc',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Basic',
      `Basic ${'A'.repeat(3000)}`,
    ]) {
      const r = await send(`${s.url}/coordination/${record}.git/info/refs?service=git-upload-pack`, {
        headers: { Authorization: header },
      });
      answers.add(`${r.status} ${r.headers['www-authenticate']} ${r.body.toString()}`);
    }
  }
  t.equal(answers.size, 1, [...answers].join('\n'));
  t.match([...answers][0], /^401 Basic realm="CCR"/);
});

t.test('a hand-built POST to git-receive-pack without credentials moves nothing', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({ participants: [jane] });
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const old = (await gitOk(`${work}/c`, ['rev-parse', 'HEAD'])).trim();
  const svc = await CoordinationService.at(`${work}/c`);
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Should not land.' });
  const next = (await gitOk(`${work}/c`, ['rev-parse', 'HEAD'])).trim();
  const body = await receivePackBody(`${work}/c`, old, next);
  const before = diskDigest(`${s.data}/coordination`);
  for (const auth of [
    null,
    { name: 'admin', token: 'ccr_bad' },
    await s.principal({ name: 'audit', kind: 'auditor' }),
  ]) {
    const r = await send(`${s.url}/coordination/${rec.id}.git/git-receive-pack`, {
      method: 'POST',
      auth,
      headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
      body,
    });
    t.equal(r.status, auth?.name === 'audit' ? 403 : 401);
  }
  t.equal(await remoteMain(`${work}/c`), old, 'main did not move');
  t.equal(diskDigest(`${s.data}/coordination`), before, 'no object was stored');
  const ok = await send(`${s.url}/coordination/${rec.id}.git/git-receive-pack`, {
    method: 'POST',
    auth: s.admin,
    headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
    body,
  });
  t.equal(ok.status, 200, 'the same body with credentials is served');
  t.equal(await remoteMain(`${work}/c`), next, 'and moves main');
});

// SPEC 12 (issue 13 review): removed from every thread, a participant that read the record keeps
// reading what its view held at its removal and pushes no more; one that never read it gets 404.
t.test('a participant removed from every ledger loses access to all written later', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, tom, john] });
  const work = tempDir(t);
  t.equal((await gitRun(work, ['clone', '-q', s.gitUrl(rec.id, cast.tom), 'tom'])).status, 0, 'tom can clone');
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, cast.jane), 'jane']);
  const svc = await CoordinationService.at(`${work}/jane`);
  const removal = { by: as(jane), removeParticipants: [tom.participant_id, john.participant_id] };
  await svc.updateThreadLedger(committer, place, rec.thread!, removal);
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'WRITTEN-AFTER-REMOVAL' });
  t.equal((await gitRun(`${work}/jane`, ['push', '-q', 'origin', 'main'])).status, 0);
  const again = await gitRun(work, ['clone', '-q', s.gitUrl(rec.id, cast.john), 'john']);
  t.not(again.status, 0, 'john, who never read the record, can no longer clone');
  t.match(again.stderr, /not found|404/i);
  const fetch = await gitRun(`${work}/tom`, ['pull', '-q', '--ff-only']);
  t.equal(fetch.status, 0, `tom fetches what his view kept: ${fetch.stderr}`);
  const store = await gitOk(`${work}/tom`, ['cat-file', '--batch-all-objects', '--batch']);
  t.notOk(store.includes('WRITTEN-AFTER-REMOVAL'), 'nothing written after his removal');
  appendFileSync(`${work}/tom/communications/${rec.thread}/messages.md`, 'AFTER\n');
  await gitOk(`${work}/tom`, ['-c', 'user.name=Tom', '-c', 'user.email=tom@ccr.invalid', 'commit', '-qam', 'after']);
  const push = await gitRun(`${work}/tom`, ['push', 'origin', 'main']);
  t.not(push.status, 0, 'nor push');
  t.match(push.stderr, /ccr\/who-write/);
});

t.test('principals: a token is shown once, deleted principals stop working, the last admin stays', async (t) => {
  const s = await testServer(t);
  const created = await s.api('POST', '/api/principals', s.admin, { name: 'audit2', kind: 'auditor' });
  t.equal(created.status, 201);
  t.match(created.body, { name: 'audit2', kind: 'auditor', token: /^ccr_[A-Za-z0-9_-]{43}$/ });
  const listed = await s.api('GET', '/api/principals', s.admin);
  t.notMatch(JSON.stringify(listed.body), created.body.token, 'the token is not listed');
  t.notMatch(JSON.stringify(listed.body), /"hash"|"salt"/, 'nor its hash');
  const creds = { name: 'audit2', token: created.body.token as string };
  t.equal((await s.api('GET', '/api/records', creds)).status, 200);
  t.equal((await s.api('DELETE', '/api/principals/audit2', s.admin)).status, 204);
  t.equal((await s.api('GET', '/api/records', creds)).status, 401, 'a deleted principal is refused at once');
  t.equal(
    (await s.api('POST', '/api/principals', s.admin, { name: 'admin', kind: 'admin' })).status,
    409,
    'names are unique',
  );
  t.equal((await s.api('POST', '/api/principals', s.admin, { name: 'bad:name', kind: 'admin' })).status, 400);
  t.equal(
    (await s.api('POST', '/api/principals', s.admin, { name: 'p', kind: 'participant', role: 'clinician' })).status,
    400,
    'a participant needs its id',
  );
  t.equal((await s.api('DELETE', '/api/principals/admin', s.admin)).status, 409, 'the last admin cannot be deleted');
  const { existsSync, readFileSync } = await import('node:fs');
  const stored = ['identity.sqlite', 'identity.sqlite-wal']
    .filter((f) => existsSync(`${s.data}/${f}`))
    .map((f) => readFileSync(`${s.data}/${f}`).toString('latin1'))
    .join('');
  t.notMatch(stored, created.body.token, 'tokens are not stored in the clear');
});

t.test(
  'a principal without access gets its 404 at once while the record is locked on first use, never a 503',
  async (t) => {
    const s = await testServer(t);
    const cast = await castPrincipals(s);
    const rec = await s.record({ participants: [jane] });
    // A live writer holds the record lock before the server's first use of the record (its clean-up waits for it).
    const lock = `${s.server.context.records.path(rec.id as never)}/ccr.lock`;
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'held-by-test' }));
    const started = performance.now();
    t.equal((await send(`${s.url}/api/records/${rec.id}`, { auth: cast.tom })).status, 404, 'the summary');
    t.equal(
      (await send(`${s.url}/coordination/${rec.id}.git/info/refs?service=git-upload-pack`, { auth: cast.tom })).status,
      404,
      'a clone',
    );
    t.ok(performance.now() - started < 5000, 'without waiting for the lock');
    const janes = send(`${s.url}/api/records/${rec.id}`, { auth: cast.jane });
    await new Promise((r) => setTimeout(r, 300));
    unlinkSync(lock);
    t.equal((await janes).status, 200, 'a principal with access waits for the lock and is served');
  },
);
