// Threads and messages over the JSON API (issue 16) on a real server over real HTTP: hostile
// callers first (an outsider with a valid token, a patient reaching for a thread it is not in, a
// removed participant, an auditor, an integration forging an author, malformed requests), then
// that what the API writes is one commit judged as a push, accepted by `ccr verify` and in a clone.
// Every answer is checked against the server's own OpenAPI document.

import t from 'tap';
import { gitOk } from '../helpers/git.js';
import { ccr } from '../helpers/cli.js';
import { answerChecker } from '../helpers/openapi.js';
import { jane, john, tom } from '../helpers/people.js';
import { call, castPrincipals, testServer, type Creds } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const HOSTILE = 'Look <script>alert(1)</script> ![x](https://tracker.invalid/p.gif) [click](javascript:alert(1))';

t.test('threads and messages over the JSON API', async (t) => {
  const s = await testServer(t, { maxRequestBytes: 1024 * 1024 });
  const docs = answerChecker();
  const cast = await castPrincipals(s);
  const auditor = await s.principal({ name: 'audit', kind: 'auditor' });
  const ehr = await s.principal({ name: 'ehr', kind: 'integration' });
  const outsider = await s.principal({
    name: 'mallory',
    kind: 'participant',
    participant_id: 'e1e2e3e4-0000-4000-8000-000000000001',
    role: 'patient',
    display_name: 'Mallory',
  });
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Shared thread.' },
  });
  const id = rec.id;
  const shared = rec.thread!;
  const base = `/api/records/${id}/threads`;

  /** Call, check the answer against the document, give it. */
  const api = async (
    method: string,
    path: string,
    template: string,
    creds: Creds | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const r = await call(s.url, method, path, creds, body, headers);
    t.same(
      docs.check(method, template, r.status, r.body),
      [],
      `${method} ${path} ${r.status} matches the OpenAPI document`,
    );
    return r;
  };
  const T = '/api/records/{id}/threads';
  const ONE = '/api/records/{id}/threads/{thread}';
  const MSG = '/api/records/{id}/threads/{thread}/messages';

  // A clinician-only thread, created through the API by jane.
  const made = await api('POST', base, T, cast.jane, {
    participants: [jane, tom],
    message: { body: 'Clinician-only: safeguarding concern.' },
  });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const hidden = made.body.thread_id as string;

  t.test('an outsider with a valid token reads and writes nothing: 404 as for a missing record', async (t) => {
    for (const [method, path, body] of [
      ['GET', base, undefined],
      ['GET', `${base}/${shared}`, undefined],
      ['POST', `${base}/${shared}/messages`, { body: 'hi' }],
      ['POST', base, { participants: [jane] }],
      ['PATCH', `${base}/${shared}`, { status: 'closed' }],
    ] as const) {
      const r = await call(s.url, method, path, outsider, body);
      t.equal(r.status, 404, `${method} ${path}`);
      t.notMatch(JSON.stringify(r.body), /Shared thread|safeguarding/, 'nothing of the record');
    }
  });

  t.test('no credentials: 401; unknown record and thread ids: 404', async (t) => {
    t.equal((await api('GET', base, T, null)).status, 401);
    t.equal((await api('GET', `/api/records/00000000-0000-4000-8000-000000000000/threads`, T, s.admin)).status, 404);
    t.equal(
      (await api('GET', `${base}/20200101T000000.000Z-00000000-0000-4000-8000-000000000000`, ONE, s.admin)).status,
      404,
    );
    t.equal(
      (await call(s.url, 'GET', `${base}/not-a-thread`, s.admin)).status,
      404,
      'a malformed thread id is no route',
    );
  });

  t.test(
    'a patient reads only the threads of its view; another thread of the same record is 404 exactly like a missing one',
    async (t) => {
      const list = await api('GET', base, T, cast.john);
      t.equal(list.status, 200);
      t.same(
        list.body.threads.map((x: { thread_id: string }) => x.thread_id),
        [shared],
      );
      const one = await api('GET', `${base}/${hidden}`, ONE, cast.john);
      const none = await api(
        'GET',
        `${base}/20200101T000000.000Z-00000000-0000-4000-8000-000000000000`,
        ONE,
        cast.john,
      );
      t.equal(one.status, 404);
      t.same(one.body.error.code, none.body.error.code, 'the same code as a missing thread');
      t.notMatch(JSON.stringify(one.body), /safeguarding/);
      const post = await api('POST', `${base}/${hidden}/messages`, MSG, cast.john, { body: 'let me in' });
      t.equal(post.status, 404, 'posting to a thread outside its view is 404 too');
      const read = await api('GET', `${base}/${shared}`, ONE, cast.john);
      t.equal(read.status, 200);
      t.equal(read.body.messages[0].body, 'Shared thread.');
      t.equal(read.body.messages[0].author_name, jane.display_name);
    },
  );

  t.test('a participant posts as itself: 201 {message_id, commit}, the commit is main', async (t) => {
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.john, { body: 'Thank you, doctor.' });
    t.equal(r.status, 201, JSON.stringify(r.body));
    const summary = await s.api('GET', `/api/records/${id}`, s.admin);
    t.equal(summary.body.head, r.body.commit, 'the commit answered is main');
    const thread = await api('GET', `${base}/${shared}`, ONE, s.admin);
    const m = thread.body.messages.at(-1);
    t.match(m, {
      message_id: r.body.message_id,
      type: 'patient',
      author_id: john.participant_id,
      author_name: 'John Doe',
      body: 'Thank you, doctor.',
    });
  });

  t.test('a participant creates a thread only where it governs: a patient cannot', async (t) => {
    const r = await api('POST', base, T, cast.john, { participants: [john, jane], message: { body: 'new topic' } });
    t.equal(r.status, 422);
    t.equal(r.body.error.findings[0].rule, 'ccr/who-thread');
  });

  t.test('a participant may not name another author; admin writes no message', async (t) => {
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.john, {
      body: 'as jane',
      author_id: jane.participant_id,
    });
    t.equal(r.status, 403);
    const a = await api('POST', `${base}/${shared}/messages`, MSG, s.admin, { body: 'from admin' });
    t.equal(a.status, 403);
  });

  t.test('an admin creates a thread without a first message, but writes no message in it', async (t) => {
    const r = await api('POST', base, T, s.admin, { participants: [jane, tom] });
    t.equal(r.status, 201, JSON.stringify(r.body));
    const m = await api('POST', base, T, s.admin, { participants: [jane, tom], message: { body: 'from admin' } });
    t.equal(m.status, 403);
    const list = await api('GET', base, T, s.admin);
    t.equal(list.body.threads.length, 3, 'one thread more, not two');
  });

  t.test('an auditor writes nothing: 422 ccr/who-write', async (t) => {
    const r = await api('POST', `${base}/${shared}/messages`, MSG, auditor, { body: 'audit note' });
    t.equal(r.status, 422);
    t.equal(r.body.error.findings[0].rule, 'ccr/who-write');
    const p = await api('PATCH', `${base}/${shared}`, ONE, auditor, { status: 'closed' });
    t.equal(p.status, 422);
    t.equal((await api('GET', `${base}/${hidden}`, ONE, auditor)).status, 200, 'but reads main whole');
  });

  t.test('an integration posts for a participant of the thread, never for anyone else', async (t) => {
    const ok = await api('POST', `${base}/${shared}/messages`, MSG, ehr, {
      body: 'Lab result attached.',
      author_id: tom.participant_id,
    });
    t.equal(ok.status, 201, JSON.stringify(ok.body));
    const forged = await api('POST', `${base}/${shared}/messages`, MSG, ehr, {
      body: 'forged',
      author_id: outsider.name === 'mallory' ? 'e1e2e3e4-0000-4000-8000-000000000001' : '',
    });
    t.equal(forged.status, 422);
    t.equal(forged.body.error.findings[0].rule, 'ccr/message-author');
    const none = await api('POST', `${base}/${shared}/messages`, MSG, ehr, { body: 'no author' });
    t.equal(none.status, 422);
  });

  t.test('malformed requests: bad JSON, wrong content type, unknown fields, oversized body', async (t) => {
    const bad = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, '{"body": ');
    t.equal(bad.status, 400);
    const type = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, 'body=hi', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    t.equal(type.status, 415);
    const extra = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: 'hi', author: 'x' });
    t.equal(extra.status, 400);
    t.match(extra.body.error.message, 'author');
    const empty = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: '   ' });
    t.equal(empty.status, 400);
    const huge = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: 'x'.repeat(2 * 1024 * 1024) });
    t.equal(huge.status, 413);
    const big = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: 'y'.repeat(300_000) });
    t.equal(big.status, 422, 'a body over the message limit meets the rule');
    t.equal(big.body.error.findings[0].rule, 'ccr/message-limits');
    t.equal((await call(s.url, 'PUT', `${base}/${shared}`, cast.jane, {})).status, 405);
  });

  t.test('a body with hostile markdown is stored as text the rules accept and given back as data', async (t) => {
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: HOSTILE });
    t.equal(r.status, 201, JSON.stringify(r.body));
    const thread = await api('GET', `${base}/${shared}`, ONE, cast.jane);
    const m = thread.body.messages.find((x: { message_id: string }) => x.message_id === r.body.message_id);
    t.ok(m, 'the message is there');
    t.match(m.body, 'alert(1)', 'kept as text');
    t.equal(thread.headers['content-type'], 'application/json; charset=utf-8', 'JSON, never HTML');
  });

  t.test("a correction: only of one's own message", async (t) => {
    const list = (await api('GET', `${base}/${shared}`, ONE, s.admin)).body.messages;
    const janes = list.find((m: { author_id: string }) => m.author_id === jane.participant_id).message_id;
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.john, { body: 'fixed', corrects: janes });
    t.equal(r.status, 422);
    t.equal(r.body.error.findings[0].rule, 'ccr/message-correction');
    const ok = await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, {
      body: 'Shared thread (corrected).',
      corrects: janes,
    });
    t.equal(ok.status, 201);
    const after = (await api('GET', `${base}/${shared}`, ONE, s.admin)).body.messages.at(-1);
    t.match(after, { type: 'correction', corrects: janes });
  });

  t.test('patients may not post where allow_patient_participation is false; a patient changes no ledger', async (t) => {
    const p = await api('PATCH', `${base}/${shared}`, ONE, cast.john, {
      policies: { allow_patient_participation: false },
    });
    t.equal(p.status, 422);
    t.equal(p.body.error.findings[0].rule, 'ccr/who-thread');
    const off = await api('PATCH', `${base}/${shared}`, ONE, cast.jane, {
      policies: { allow_patient_participation: false },
    });
    t.equal(off.status, 200, JSON.stringify(off.body));
    const thread = (await api('GET', `${base}/${shared}`, ONE, s.admin)).body;
    t.equal(thread.ledger.policies.allow_patient_participation, false);
    t.match(
      thread.messages.at(-1),
      { type: 'system', body: /allow_patient_participation/ },
      'the system message was added',
    );
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.john, { body: 'still here?' });
    t.equal(r.status, 422);
    t.equal(r.body.error.findings[0].rule, 'ccr/patient-participation');
    t.equal(
      (await api('PATCH', `${base}/${shared}`, ONE, cast.jane, { policies: { allow_patient_participation: true } }))
        .status,
      200,
    );
  });

  t.test('a removed participant reads up to its removal and cannot post', async (t) => {
    const removed = await api('PATCH', `${base}/${shared}`, ONE, cast.jane, {
      participants: { remove: [john.participant_id] },
    });
    t.equal(removed.status, 200, JSON.stringify(removed.body));
    t.equal(
      (await api('POST', `${base}/${shared}/messages`, MSG, cast.jane, { body: 'After John left.' })).status,
      201,
    );
    const r = await api('POST', `${base}/${shared}/messages`, MSG, cast.john, { body: 'let me back' });
    t.ok(r.status === 422 || r.status === 404, `refused (${r.status})`);
    if (r.status === 422) t.equal(r.body.error.findings[0].rule, 'ccr/message-author');
    const read = await api('GET', `${base}/${shared}`, ONE, cast.john);
    t.equal(read.status, 200, 'its view keeps the thread up to the removal');
    t.notMatch(JSON.stringify(read.body), /After John left/);
  });

  t.test('status filter, and nobody posts into a closed thread', async (t) => {
    const closed = await api('PATCH', `${base}/${hidden}`, ONE, cast.tom, { status: 'closed' });
    t.equal(closed.status, 200, JSON.stringify(closed.body));
    const open = await api('GET', `${base}?status=open`, T, s.admin);
    t.notOk(
      open.body.threads.some((x: { thread_id: string }) => x.thread_id === hidden),
      'the closed thread is not among the open ones',
    );
    t.ok(open.body.threads.some((x: { thread_id: string }) => x.thread_id === shared));
    const both = await api('GET', `${base}?status=open,closed`, T, s.admin);
    t.equal(both.body.threads.length, 3);
    t.equal((await api('GET', `${base}?status=bogus`, T, s.admin)).status, 400);
    const r = await api('POST', `${base}/${hidden}/messages`, MSG, cast.jane, { body: 'one more' });
    t.equal(r.status, 422);
    t.equal(r.body.error.findings[0].rule, 'ccr/thread-not-open');
  });

  t.test('what the API wrote is in a git clone and `ccr verify` accepts the record', async (t) => {
    const work = tempDir(t);
    await gitOk(work, ['clone', '-q', s.gitUrl(id, s.admin), 'c']);
    const log = await gitOk(`${work}/c`, ['log', '--format=%s']);
    t.ok(log.split('\n').filter((x) => x.startsWith('coordination:update')).length >= 5, 'one commit per write');
    const r = await ccr(['verify', `${work}/c`]);
    t.equal(r.status, 0, r.stdout + r.stderr);
  });
});
