// Idempotency-Key on the API's writes (issue 16), on a real server: a retry gets the first answer
// and writes nothing twice, also after a restart and when twins race; the same key with another
// body is refused; keys are per principal.

import t from 'tap';
import { jane, john, tom } from '../helpers/people.js';
import { call, castPrincipals, testServer, type Creds, type Reply } from '../helpers/server.js';
import { QuotaExceeded } from '../../core/errors.js';
import { Idempotency } from '../../server/idempotency.js';
import { openDatabase } from '../../store/sqlite/db.js';
import { SqliteIdempotencyStore } from '../../store/sqlite/idempotencyStore.js';
import { tempDir } from '../helpers/tmp.js';

/** A JSON request with an Idempotency-Key when one is given. */
function post(base: string, method: string, path: string, creds: Creds, body: unknown, key?: string): Promise<Reply> {
  return call(base, method, path, creds, body, key !== undefined ? { 'Idempotency-Key': key } : {});
}

t.test('Idempotency-Key', async (t) => {
  const first = await testServer(t);
  const cast = await castPrincipals(first);
  const rec = await first.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Start.' },
  });
  const messages = `/api/records/${rec.id}/threads/${rec.thread}/messages`;
  const count = async (s: typeof first) =>
    (await s.api('GET', `/api/records/${rec.id}/threads/${rec.thread}`, s.admin)).body.messages.length as number;

  const one = await post(first.url, 'POST', messages, cast.jane, { body: 'Once only.' }, 'key-1');
  t.equal(one.status, 201);
  t.equal(one.headers['idempotent-replayed'], undefined, 'the first answer is not a replay');
  const again = await post(first.url, 'POST', messages, cast.jane, { body: 'Once only.' }, 'key-1');
  t.equal(again.status, 201);
  t.same(again.body, one.body, 'a retry gets the first answer');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(await count(first), 2, 'and writes nothing twice');

  const changed = await post(first.url, 'POST', messages, cast.jane, { body: 'Something else.' }, 'key-1');
  t.equal(changed.status, 422);
  t.equal(changed.body.error.code, 'IdempotencyKeyReused');
  const elsewhere = await post(
    first.url,
    'PATCH',
    `/api/records/${rec.id}/threads/${rec.thread}`,
    cast.jane,
    { body: 'Once only.' },
    'key-1',
  );
  t.equal(elsewhere.body.error.code, 'IdempotencyKeyReused', 'another path with the same key too');

  const toms = await post(first.url, 'POST', messages, cast.tom, { body: 'Once only.' }, 'key-1');
  t.equal(toms.status, 201, 'keys are per principal');
  t.not(toms.body.message_id, one.body.message_id);

  const bad = await post(first.url, 'POST', messages, cast.jane, { body: 'x' }, 'k'.repeat(201));
  t.equal(bad.status, 400, 'a key over 200 characters');

  // Twins at once: one write, the same answer for all.
  const twins = await Promise.all(
    Array.from({ length: 6 }, () => post(first.url, 'POST', messages, cast.jane, { body: 'Twin.' }, 'key-twin')),
  );
  t.same(new Set(twins.map((r) => r.status)), new Set([201]));
  t.equal(new Set(twins.map((r) => r.body.message_id)).size, 1, 'one message id for all twins');
  t.equal(await count(first), 4, 'one message written for six twins');

  // A refusal is kept as well: the retry gets the same rule id without judging again.
  const closed = await post(
    first.url,
    'POST',
    messages,
    cast.john,
    { body: 'as jane', corrects: one.body.message_id },
    'key-refused',
  );
  t.equal(closed.status, 422);
  const closedAgain = await post(
    first.url,
    'POST',
    messages,
    cast.john,
    { body: 'as jane', corrects: one.body.message_id },
    'key-refused',
  );
  t.same(closedAgain.body, closed.body);
  t.equal(closedAgain.headers['idempotent-replayed'], 'true');

  // Across a restart on the same data folder.
  await first.server.close();
  const second = await testServer(t, { data: first.data });
  const after = await post(second.url, 'POST', messages, cast.jane, { body: 'Once only.' }, 'key-1');
  t.equal(after.status, 201);
  t.same(after.body, one.body, 'the first answer, after a restart');
  t.equal(await count(second), 4, 'nothing written after the restart either');

  // A record creation is idempotent too: a retried POST /api/records makes no second record.
  const recordBody = { clinical_id: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12', care_location: 'Ward 3' };
  const before = (await second.api('GET', '/api/records', second.admin)).body.records.length as number;
  const r1 = await post(second.url, 'POST', '/api/records', second.admin, recordBody, 'key-record');
  const r2 = await post(second.url, 'POST', '/api/records', second.admin, recordBody, 'key-record');
  t.equal(r1.status, 201);
  t.same(r2.body, r1.body, 'the same record id again');
  t.equal(r2.headers['idempotent-replayed'], 'true');
  t.equal((await second.api('GET', '/api/records', second.admin)).body.records.length, before + 1, 'one record made');

  // A thread creation and a ledger change are idempotent too.
  const create = { participants: [jane, tom], message: { body: 'New thread.' } };
  const c1 = await post(second.url, 'POST', `/api/records/${rec.id}/threads`, cast.jane, create, 'key-thread');
  const c2 = await post(second.url, 'POST', `/api/records/${rec.id}/threads`, cast.jane, create, 'key-thread');
  t.equal(c1.status, 201);
  t.same(c2.body, c1.body);
  const list = await second.api('GET', `/api/records/${rec.id}/threads`, second.admin);
  t.equal(list.body.threads.length, 2, 'one thread created');
  const p1 = await post(
    second.url,
    'PATCH',
    `/api/records/${rec.id}/threads/${c1.body.thread_id}`,
    cast.jane,
    { status: 'closed' },
    'key-close',
  );
  const p2 = await post(
    second.url,
    'PATCH',
    `/api/records/${rec.id}/threads/${c1.body.thread_id}`,
    cast.jane,
    { status: 'closed' },
    'key-close',
  );
  t.equal(p1.status, 200);
  t.same(p2.body, p1.body);
});

t.test('bounded: a principal holds at most so many keys, a large answer is not kept, deep JSON is a 400', async (t) => {
  const db = openDatabase(`${tempDir(t)}/keys.sqlite`);
  t.teardown(() => db.close());
  const keys = new Idempotency(new SqliteIdempotencyStore(db), Date.now, 60_000, 3);
  const ok = async () => ({ status: 201, body: { id: 'x' } });
  for (const k of ['a', 'b', 'c']) t.equal((await keys.run('jane', k, 'print', ok)).status, 201);
  await t.rejects(keys.run('jane', 'd', 'print', ok), QuotaExceeded, 'a fourth live key is refused');
  t.equal((await keys.run('jane', 'a', 'print', ok)).replayed, true, 'a kept key still replays');
  t.equal((await keys.run('tom', 'd', 'print', ok)).status, 201, 'another principal has its own allowance');
  let runs = 0;
  const big = async () => ({ status: 400, body: { error: 'x'.repeat(20_000), n: ++runs } });
  await keys.run('tom', 'big', 'print', big);
  const again = await keys.run('tom', 'big', 'print', big);
  t.equal(again.replayed, undefined, 'an answer over 16 KiB was not kept: the retry runs again');
  t.equal(runs, 2);

  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'Start.' },
  });
  const deep = `{"body":"x","a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  const r = await post(
    s.url,
    'POST',
    `/api/records/${rec.id}/threads/${rec.thread}/messages`,
    cast.jane,
    deep,
    'deep-1',
  );
  t.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
  t.match(r.body.error.message, /nested at most 32 levels/);
  const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${'k'.repeat(500)}${i}`, 1]));
  const w = await post(s.url, 'POST', `/api/records/${rec.id}/threads/${rec.thread}/messages`, cast.jane, {
    body: 'x',
    ...wide,
  });
  t.equal(w.status, 400);
  t.ok(JSON.stringify(w.body).length < 1000, 'unknown field names are not echoed whole');
  t.ok(
    s.logs.every((l) => !l.includes('"level":"error"')),
    'no error logged',
  );
});
