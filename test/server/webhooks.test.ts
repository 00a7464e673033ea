// Webhooks over HTTP (issue 16) with a real loopback receiver that checks the HMAC: registration
// only by admin and integration principals and only to allowed hosts; each event delivered signed,
// without clinical content; a failing receiver retried with the same delivery id until it
// recovers; a hanging one timed out without delaying any push; a hook's events filtered by its
// records and kinds; hooks listed, removed and their deliveries shown to their owner only.

import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { eventually, startReceiver, type Receiver } from '../helpers/receiver.js';
import { castPrincipals, testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import type { DeliveryOptions } from '../../server/events/webhooks.js';

const SECRET = 'a-webhook-secret-of-32-characters!';
const BODY = 'CLINICAL-BODY-9c1d';

async function setup(t: Test, delivery: Partial<DeliveryOptions> = {}): Promise<{ s: TestServer; rx: Receiver }> {
  const rx = await startReceiver(t, SECRET);
  const s = await testServer(t, { webhooks: { allow: [rx.host], firstRetryMs: 100, ...delivery } });
  return { s, rx };
}

/** Clone a record as tom, add a message, push it; the push's duration and the message id. */
async function pushMessage(
  t: Test,
  s: TestServer,
  record: string,
  thread: string,
  tomCreds: { name: string; token: string },
) {
  const dir = `${tempDir(t)}/tom`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, tomCreds), dir]);
  const message = await (
    await CoordinationService.at(dir)
  ).addMessage(committer, place, thread, { author: as(tom), body: BODY });
  const started = performance.now();
  const pushed = await gitRun(dir, ['push', 'origin', 'main']);
  if (pushed.status !== 0) throw new Error(pushed.stderr);
  return { message, ms: performance.now() - started, dir };
}

t.test('registration: admin and integration only, allowed hosts only, checked input', async (t) => {
  const { s, rx } = await setup(t);
  const cast = await castPrincipals(s);
  const auditor = await s.principal({ name: 'audit', kind: 'auditor' });
  const site = await s.principal({ name: 'peer', kind: 'site' });
  const good = { url: rx.url, secret: SECRET, records: 'all' };
  for (const who of [cast.jane, auditor, site]) {
    const r = await s.api('POST', '/api/webhooks', who, good);
    t.equal(r.status, 403, `${who.name} may not register`);
    t.equal(r.body.error.code, 'Forbidden');
  }
  t.equal((await s.api('POST', '/api/webhooks', null, good)).status, 401, 'no credentials: 401');
  t.equal((await s.api('GET', '/api/webhooks', cast.jane)).status, 403, 'nor list');

  const elsewhere = [
    `http://127.0.0.1:${rx.port + 1}/hook`,
    'http://169.254.169.254/latest/meta-data',
    'http://localhost/hook',
    `https://127.0.0.1:${rx.port}/hook`.replace(`:${rx.port}`, ''),
    'http://example.invalid/hook',
  ];
  for (const url of elsewhere) {
    const r = await s.api('POST', '/api/webhooks', s.admin, { ...good, url });
    t.equal(r.status, 403, `refused: ${url}`);
    t.match(r.body.error.message, /hosts the operator allows/);
  }
  const bad = [
    { ...good, url: 'ftp://127.0.0.1/x' },
    { ...good, url: `http://user:pw@${rx.host}/hook` },
    { ...good, url: 42 },
    { ...good, secret: 'short' },
    { ...good, secret: undefined },
    { ...good, records: [] },
    { ...good, records: ['not-an-id'] },
    { ...good, records: 'some' },
    { ...good, kinds: ['message.deleted'] },
    { ...good, kinds: [] },
  ];
  for (const body of bad)
    t.equal((await s.api('POST', '/api/webhooks', s.admin, body)).status, 400, JSON.stringify(body));
  t.equal((await s.api('POST', '/api/webhooks', s.admin, 'not json')).status, 400);

  const made = await s.api('POST', '/api/webhooks', s.admin, { ...good, kinds: ['message.added'] });
  t.equal(made.status, 201);
  t.match(made.body, { id: /^hook_/, owner: 'admin', url: rx.url, records: 'all', kinds: ['message.added'] });
  t.notOk(JSON.stringify(made.body).includes(SECRET), 'the secret is never shown');
  const listed = await s.api('GET', '/api/webhooks', s.admin);
  t.same(
    listed.body.webhooks.map((h: any) => h.id),
    [made.body.id],
  );
  t.notOk(JSON.stringify(listed.body).includes(SECRET));

  const ehr = await s.principal({ name: 'ehr', kind: 'integration' });
  t.same((await s.api('GET', '/api/webhooks', ehr)).body.webhooks, [], 'an integration sees its own hooks only');
  t.equal((await s.api('DELETE', `/api/webhooks/${made.body.id}`, ehr)).status, 404, "and cannot remove another's");
  t.equal((await s.api('GET', `/api/webhooks/${made.body.id}/deliveries`, ehr)).status, 404, 'nor read its deliveries');
  const own = await s.api('POST', '/api/webhooks', ehr, good);
  t.equal(own.status, 201);
  t.equal((await s.api('GET', '/api/webhooks', s.admin)).body.webhooks.length, 2, 'an admin sees every hook');
  t.equal((await s.api('DELETE', `/api/webhooks/${own.body.id}`, ehr)).status, 204);
  t.equal((await s.api('DELETE', `/api/webhooks/${own.body.id}`, ehr)).status, 404, 'gone');
});

t.test('a push is delivered signed, without content; hooks follow their records and kinds', async (t) => {
  const { s, rx } = await setup(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, tom], message: { author_id: jane.participant_id, body: BODY } });
  const other = await s.record();
  await s.server.context.events.feed.idle(); // a hook receives the events recorded after it is registered
  const all = await s.api('POST', '/api/webhooks', s.admin, {
    url: rx.url,
    secret: SECRET,
    records: 'all',
    kinds: ['message.added'],
  });
  const onlyOther = await s.api('POST', '/api/webhooks', s.admin, {
    url: `${rx.url}?other`,
    secret: SECRET,
    records: [other.id],
  });
  t.equal(onlyOther.status, 201);
  const { message } = await pushMessage(t, s, rec.id, rec.thread!, cast.tom);
  const got = await rx.waitFor((r) => r.json?.message === message);
  t.ok(got.signed, 'X-CCR-Signature is the HMAC-SHA256 of the body');
  t.match(got.delivery, /^dlv_/);
  t.equal(got.event, 'message.added');
  t.match(got.json, { kind: 'message.added', record: rec.id, thread: rec.thread, message });
  t.notOk(got.body.includes(BODY) || got.body.includes('Tom'), 'no body, no name');
  const feed = await s.api('GET', '/api/events?limit=1000', s.admin);
  t.same(
    got.json,
    feed.body.events.find((e: any) => e.message === message),
    'the same event as in the feed',
  );
  await eventually(
    async () =>
      (await s.api('GET', `/api/webhooks/${all.body.id}/deliveries`, s.admin)).body.deliveries.some(
        (d: any) => d.state === 'delivered' && d.id === got.delivery,
      ),
    10_000,
    'the delivery logged',
  );
  t.notOk(
    rx.received.some((r) => r.json?.kind !== 'message.added'),
    'the kinds filter holds',
  );
  t.same(
    (await s.api('GET', `/api/webhooks/${onlyOther.body.id}/deliveries`, s.admin)).body.deliveries,
    [],
    'a hook of another record gets nothing',
  );
});

t.test('a receiver that fails is retried with the same delivery id until it recovers', async (t) => {
  const { s, rx } = await setup(t);
  const hook = await s.api('POST', '/api/webhooks', s.admin, {
    url: rx.url,
    secret: SECRET,
    records: 'all',
    kinds: ['record.created'],
  });
  rx.mode = 503;
  const rec = await s.record();
  await rx.waitFor((r) => r.json?.record === rec.id);
  await rx.waitFor(() => rx.received.filter((r) => r.json?.record === rec.id).length >= 2);
  rx.mode = 200;
  const ok = await rx.waitFor((r) => r.json?.record === rec.id && r.answered === 200);
  const tries = rx.received.filter((r) => r.json?.record === rec.id);
  t.ok(tries.length >= 3, `tried ${tries.length} times`);
  t.ok(
    tries.every((r) => r.delivery === ok.delivery && r.body === ok.body && r.signed),
    'same delivery id, same signed body',
  );
  const log = await eventually(
    async () => {
      const d = (await s.api('GET', `/api/webhooks/${hook.body.id}/deliveries`, s.admin)).body.deliveries[0];
      return d?.state === 'delivered' ? d : null;
    },
    10_000,
    'the delivery logged as delivered',
  );
  t.equal(log.attempts, tries.length);
  t.equal(log.last_status, 200);
});

t.test('a receiver that hangs is timed out and delays no push', async (t) => {
  const { s, rx } = await setup(t, { timeoutMs: 1500, concurrency: 1 });
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, tom], message: { author_id: jane.participant_id, body: 'hello' } });
  const hook = await s.api('POST', '/api/webhooks', s.admin, { url: rx.url, secret: SECRET, records: 'all' });
  rx.mode = 'hang';
  const first = await pushMessage(t, s, rec.id, rec.thread!, cast.tom);
  await rx.waitFor((r) => r.json?.message === first.message);
  // The receiver holds the only delivery slot now; pushes go on at their own pace.
  const dir = first.dir;
  for (let i = 0; i < 2; i++) {
    await (
      await CoordinationService.at(dir)
    ).addMessage(committer, place, rec.thread!, { author: as(tom), body: `more ${i}` });
    const started = performance.now();
    const pushed = await gitRun(dir, ['push', 'origin', 'main']);
    t.equal(pushed.status, 0);
    t.ok(performance.now() - started < 1500 * 4, 'the push did not wait for the hanging receiver');
  }
  const d = await eventually(
    async () =>
      (await s.api('GET', `/api/webhooks/${hook.body.id}/deliveries`, s.admin)).body.deliveries.find((x: any) =>
        x.last_error?.startsWith('no answer within'),
      ),
    20_000,
    'a timed-out attempt logged',
  );
  t.equal(d.state, 'pending', 'to be retried');
  rx.mode = 200;
  await rx.waitFor((r) => r.answered === 200 && r.json?.message === first.message, 30_000);
});

t.test('a hook whose owner was removed receives nothing more', async (t) => {
  const { s, rx } = await setup(t);
  const ehr = await s.principal({ name: 'ehr', kind: 'integration' });
  const hook = await s.api('POST', '/api/webhooks', ehr, { url: rx.url, secret: SECRET, records: 'all' });
  t.equal(hook.status, 201);
  t.equal((await s.api('DELETE', '/api/principals/ehr', s.admin)).status, 204);
  const rec = await s.record();
  const d = await eventually(
    async () =>
      (await s.api('GET', `/api/webhooks/${hook.body.id}/deliveries`, s.admin)).body.deliveries.find(
        (x: any) => x.record === rec.id && x.state === 'cancelled',
      ),
    20_000,
    'the delivery cancelled',
  );
  t.match(d.last_error, /owner may no longer read/);
  t.notOk(
    rx.received.some((r) => r.json?.record === rec.id),
    'nothing was sent',
  );

  // Another principal given the removed owner's name later is someone else: the hook stays dead.
  await new Promise((r) => setTimeout(r, 5));
  await s.principal({ name: 'ehr', kind: 'integration' });
  const later = await s.record();
  const d2 = await eventually(
    async () =>
      (await s.api('GET', `/api/webhooks/${hook.body.id}/deliveries`, s.admin)).body.deliveries.find(
        (x: any) => x.record === later.id && x.state === 'cancelled',
      ),
    20_000,
    'cancelled under the new ehr too',
  );
  t.match(d2.last_error, /owner may no longer read/);
  t.notOk(
    rx.received.some((r) => r.json?.record === later.id),
    "nothing was sent to the old owner's receiver",
  );
});

t.test('a hanging receiver holds only its own hook: another hook keeps receiving, in feed order', async (t) => {
  const stuck = await startReceiver(t, SECRET);
  const fine = await startReceiver(t, SECRET);
  const s = await testServer(t, {
    webhooks: { allow: [stuck.host, fine.host], timeoutMs: 30_000, concurrency: 4, firstRetryMs: 100 },
  });
  await s.api('POST', '/api/webhooks', s.admin, { url: stuck.url, secret: SECRET, records: 'all' });
  await s.api('POST', '/api/webhooks', s.admin, { url: fine.url, secret: SECRET, records: 'all' });
  stuck.mode = 'hang';
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await s.record()).id);
  for (const id of ids) await fine.waitFor((r) => r.json?.record === id, 20_000);
  t.equal(stuck.received.length, 1, 'the hanging receiver got one delivery and holds it');
  const cursors = fine.received.map((r) => Number(r.json.cursor));
  t.same(
    cursors,
    [...cursors].sort((a, b) => a - b),
    'the other got every event, in feed order',
  );
});
