// The events feed over HTTP (issue 16): filled by every way `main` moves (API creation, git push),
// ordered and paged by cursor, without clinical content, and filtered by views: a participant
// never reads an event of a thread outside its view; an outsider with a valid token reads nothing.

import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { startServer } from '../../server/index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { admin as sam, as, committer, jane, john, place, tom } from '../helpers/people.js';
import { eventually } from '../helpers/receiver.js';
import { ADMIN_TOKEN, castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { freePort, siteWithPeers } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = 'SAFEGUARDING-MARKER-7f3e';

async function clone(t: Test, s: TestServer, record: string, who: Creds): Promise<string> {
  const dir = `${tempDir(t)}/${who.name}`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, who), dir]);
  return dir;
}

/** Every event a principal reads, page by page. */
async function all(s: TestServer, who: Creds, limit = 1000): Promise<any[]> {
  const out: any[] = [];
  for (let after = '0'; ;) {
    const r = await s.api('GET', `/api/events?after=${after}&limit=${limit}`, who);
    if (r.status !== 200) throw new Error(`events: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.events);
    if (r.body.events.length < limit) return out;
    after = r.body.next;
  }
}

/** A record with a thread of jane, tom and john (the patient), and a clinicians' thread of jane and tom pushed with git. */
async function scene(t: Test) {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: `Welcome, John. ${SECRET}` },
  });
  const tomDir = await clone(t, s, rec.id, cast.tom);
  const hidden = await (
    await CoordinationService.at(tomDir)
  ).createThread(committer, place, [jane, tom], { author: as(tom), body: `Concern: ${SECRET}` });
  const pushed = await gitRun(tomDir, ['push', 'origin', 'main']);
  if (pushed.status !== 0) throw new Error(pushed.stderr);
  const head = (await gitOk(tomDir, ['rev-parse', 'HEAD'])).trim();
  await eventually(
    async () => (await all(s, s.admin)).some((e) => e.thread === hidden),
    20_000,
    'the pushed thread in the feed',
  );
  return { s, cast, record: rec.id, shared: rec.thread!, hidden, tomDir, head };
}

t.test('the feed holds what the API and a push did, in order, with ids and no clinical content', async (t) => {
  const { s, record, shared, hidden, head } = await scene(t);
  const events = await all(s, s.admin);
  t.same(
    events.map((e) => [e.kind, e.thread ?? null]),
    [
      ['record.created', null],
      ['thread.created', shared],
      ['message.added', shared],
      ['thread.created', hidden],
      ['message.added', hidden],
    ],
  );
  t.ok(
    events.every((e) => e.record === record),
    'every event names the record',
  );
  t.equal(events.at(-1).head, head, 'the new head of the push');
  t.ok(
    events.every((e, i) => i === 0 || Number(e.cursor) > Number(events[i - 1].cursor)),
    'cursors increase',
  );
  t.same(Object.keys(events[4]).sort(), ['commit', 'cursor', 'head', 'kind', 'message', 'record', 'thread', 'time']);
  const text = JSON.stringify(events);
  t.notOk(
    text.includes(SECRET) || text.includes('Welcome') || text.includes('Jane') || text.includes(place),
    'no body, no name, no place',
  );
  t.notOk(text.includes('audience') || text.includes(jane.participant_id), 'the audience stays inside');
});

t.test('writes through the message API are in the feed: a message and a ledger change', async (t) => {
  const { s, cast, record, shared } = await scene(t);
  const posted = await s.api('POST', `/api/records/${record}/threads/${shared}/messages`, cast.jane, {
    body: `Bloods back. ${SECRET}`,
  });
  t.equal(posted.status, 201, JSON.stringify(posted.body));
  const closed = await s.api('PATCH', `/api/records/${record}/threads/${shared}`, cast.jane, { status: 'closed' });
  t.equal(closed.status, 200, JSON.stringify(closed.body));
  await eventually(
    async () => (await all(s, s.admin)).some((e) => e.kind === 'thread.updated'),
    20_000,
    'the ledger change in the feed',
  );
  const events = (await all(s, s.admin)).slice(5);
  t.match(
    events,
    [
      { kind: 'message.added', thread: shared, message: posted.body.message_id, commit: posted.body.commit },
      { kind: 'thread.updated', thread: shared, changes: ['status'], commit: closed.body.commit },
      { kind: 'message.added', thread: shared, commit: closed.body.commit },
    ],
    'the posted message, then the PATCH: the status change and its system message, one commit',
  );
  t.equal(events.length, 3, 'and nothing else');
  t.notOk(JSON.stringify(events).includes(SECRET), 'no body');
  const john = await all(s, cast.john);
  t.ok(
    john.some((e) => e.message === posted.body.message_id),
    'the patient of the thread reads the event of the message',
  );
});

t.test('a participant reads only events of threads in its view; an outsider nothing', async (t) => {
  const { s, cast, shared, hidden } = await scene(t);
  const johns = await all(s, cast.john);
  t.same(
    johns.map((e) => [e.kind, e.thread]),
    [
      ['thread.created', shared],
      ['message.added', shared],
    ],
    'the patient reads its thread',
  );
  t.notOk(
    johns.some((e) => e.thread === hidden),
    "never the clinicians' thread",
  );
  t.notOk(JSON.stringify(johns).includes(hidden), 'not even its id');
  t.ok(johns.some((e) => e.thread === shared && e.kind === 'message.added'));
  t.ok(
    (await all(s, cast.tom)).some((e) => e.thread === hidden),
    'tom reads it',
  );

  const outsider = await s.principal({
    name: 'sam',
    kind: 'participant',
    participant_id: sam.participant_id,
    role: sam.role,
    display_name: sam.display_name,
  });
  t.same(await all(s, outsider), [], 'a valid token of no thread reads nothing');
  const auditor = await s.principal({ name: 'audit', kind: 'auditor' });
  const integration = await s.principal({ name: 'ehr', kind: 'integration' });
  t.equal((await all(s, auditor)).length, 5, 'an auditor reads every event');
  t.equal((await all(s, integration)).length, 5, 'so does an integration');

  t.equal((await s.api('GET', '/api/events', null)).status, 401, 'no credentials: 401');
  t.equal((await s.api('GET', '/api/events', { name: 'john', token: 'ccr_wrong' })).status, 401);
});

t.test('a removed participant reads its removal and nothing after it', async (t) => {
  const { s, cast, shared, tomDir } = await scene(t);
  const svc = await CoordinationService.at(tomDir);
  await svc.updateThreadLedger(committer, place, shared, { by: as(tom), removeParticipants: [john.participant_id] });
  const removedAt = (await gitOk(tomDir, ['rev-parse', 'HEAD'])).trim();
  await svc.addMessage(committer, place, shared, { author: as(tom), body: 'after john left' });
  const pushed = await gitRun(tomDir, ['push', 'origin', 'main']);
  t.equal(pushed.status, 0, pushed.stderr);
  const head = (await gitOk(tomDir, ['rev-parse', 'HEAD'])).trim();
  await eventually(async () => (await all(s, s.admin)).some((e) => e.commit === head), 20_000, 'the push in the feed');
  const johns = await all(s, cast.john);
  const update = johns.find((e) => e.kind === 'thread.updated');
  t.ok(update, 'john reads the change that removed him');
  t.same(update.changes, ['participants']);
  t.equal(update.commit, removedAt);
  t.notOk(
    johns.some((e) => e.commit === head),
    'and nothing after it',
  );
  t.ok(
    (await all(s, cast.jane)).some((e) => e.commit === head),
    'jane reads it',
  );
});

t.test('pages follow the cursor; bad parameters are refused', async (t) => {
  const { s } = await scene(t);
  const whole = await all(s, s.admin);
  const paged = await all(s, s.admin, 2);
  t.same(paged, whole, 'pages of two give the same events, none twice');
  const last = await s.api('GET', `/api/events?after=${whole.at(-1).cursor}`, s.admin);
  t.same(last.body, { events: [], next: whole.at(-1).cursor }, 'past the end: none, and the same cursor to ask again');
  for (const q of ['after=abc', 'after=-1', 'limit=0', 'limit=1001', 'limit=x']) {
    const r = await s.api('GET', `/api/events?${q}`, s.admin);
    t.equal(r.status, 400, q);
    t.equal(r.body.error.code, 'InvalidInput');
  }
  t.equal((await s.api('POST', '/api/events', s.admin, {})).status, 405);
});

t.test('a server that stopped before recording a move catches up at start', async (t) => {
  const data = tempDir(t, 'ccr-events-');
  const start = () =>
    startServer({
      data,
      port: 0,
      adminToken: ADMIN_TOKEN,
      logStream: new PassThrough(),
      validatorThreads: 1,
      shutdownGraceMs: 2000,
    });
  let server = await start();
  t.teardown(() => server.close());
  const adminCreds = { name: 'admin', token: ADMIN_TOKEN };
  const u = new URL(`${server.url}/api/records`);
  const created = (await fetch(u, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
    },
    body: JSON.stringify({
      clinical_id: '0f1e2d3c-4b5a-4697-8877-665544332211',
      care_location: place,
      thread: { participants: [jane, tom] },
    }),
  }).then((r) => r.json())) as { coordination_id: string; thread_id: string };
  await server.context.events.feed.idle();
  const dir = `${tempDir(t)}/wc`;
  const gitUrl = new URL(`${server.url}/coordination/${created.coordination_id}.git`);
  gitUrl.username = adminCreds.name;
  gitUrl.password = adminCreds.token;
  await gitOk('/', ['clone', '-q', gitUrl.toString(), dir]);
  await server.close();
  // main moves while no server runs (as when one dies between the ref move and its recording).
  const id = await (
    await CoordinationService.at(dir)
  ).addMessage(committer, place, created.thread_id, { author: as(jane), body: 'offline' });
  await gitOk(dir, ['push', '-q', server.context.records.path(created.coordination_id as never), 'main']);
  server = await start();
  const got = await eventually(
    async () => {
      const r = await fetch(`${server.url}/api/events`, {
        headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      });
      const body = (await r.json()) as { events: any[] };
      return body.events.find((e) => e.message === id);
    },
    20_000,
    'the offline message in the feed',
  );
  t.equal(got.kind, 'message.added');
});

t.test('a site principal tied to a peer reads only the events of the records shared with it', async (t) => {
  const shared = '00000000-0000-4000-8000-00000000abcd';
  const down = `http://127.0.0.1:${await freePort()}`;
  const b = await siteWithPeers(t, [
    { name: 'a', url: down, user: 'site-b', token: 'unused', records: [shared], principal: 'site-a' },
  ]);
  const siteA = await b.principal({ name: 'site-a', kind: 'site' });
  const made = await b.api('POST', '/api/records', b.admin, {
    coordination_id: shared,
    clinical_id: '0f1e2d3c-4b5a-4697-8877-665544332211',
    care_location: place,
    thread: { participants: [jane] },
  });
  t.equal(made.status, 201);
  const hidden = (await b.record({ participants: [jane] })).id;
  await b.server.context.events.feed.idle();
  const theirs = await all(b, siteA);
  t.ok(theirs.length >= 2, "the shared record's events");
  t.ok(
    theirs.every((e) => e.record === shared),
    "and no other record's",
  );
  t.ok(
    (await all(b, b.admin)).some((e) => e.record === hidden),
    "the admin reads the other record's",
  );
});

t.test(
  'a recorded head the repository does not have (a record restored from a backup) brings nothing twice',
  async (t) => {
    const s = await testServer(t);
    const cast = await castPrincipals(s);
    const rec = await s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'first' },
    });
    const feed = s.server.context.events.feed;
    await feed.idle();
    feed.db
      .prepare('UPDATE heads SET head = ? WHERE record = ?')
      .run('0123456789abcdef0123456789abcdef01234567', rec.id);
    const dir = await clone(t, s, rec.id, cast.tom);
    const added = await (
      await CoordinationService.at(dir)
    ).addMessage(committer, place, rec.thread!, { author: as(tom), body: 'after the restore' });
    t.equal((await gitRun(dir, ['push', 'origin', 'main'])).status, 0);
    await eventually(
      async () => (await all(s, s.admin)).some((e) => e.message === added),
      20_000,
      'the new message in the feed',
    );
    const events = await all(s, s.admin);
    t.same(
      events.map((e) => e.kind),
      ['record.created', 'thread.created', 'message.added', 'message.added'],
      'each once',
    );
    t.ok(
      s.logs.some((l) => l.includes('events-head-unknown')),
      'the operator is told',
    );
  },
);
