// Idempotency-Key on the API's writes (issue 16), on a real server: a retry gets the first answer
// and writes nothing twice, also after a restart and when twins race; the same key with another
// body is refused; keys are per principal.

import { request } from 'node:http';
import t from 'tap';
import { jane, john, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds } from '../helpers/server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function post(base: string, method: string, path: string, creds: Creds, body: unknown, key?: string): Promise<Reply> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${creds.name}:${creds.token}`).toString('base64')}`,
        'Content-Type': 'application/json', ...(key !== undefined ? { 'Idempotency-Key': key } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

t.test('Idempotency-Key', async (t) => {
  const first = await testServer(t);
  const cast = await castPrincipals(first);
  const rec = await first.record({ participants: [jane, tom, john], message: { author_id: jane.participant_id, body: 'Start.' } });
  const messages = `/api/records/${rec.id}/threads/${rec.thread}/messages`;
  const count = async (s: typeof first) => (await s.api('GET', `/api/records/${rec.id}/threads/${rec.thread}`, s.admin)).body.messages.length as number;

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
  const elsewhere = await post(first.url, 'PATCH', `/api/records/${rec.id}/threads/${rec.thread}`, cast.jane, { body: 'Once only.' }, 'key-1');
  t.equal(elsewhere.body.error.code, 'IdempotencyKeyReused', 'another path with the same key too');

  const toms = await post(first.url, 'POST', messages, cast.tom, { body: 'Once only.' }, 'key-1');
  t.equal(toms.status, 201, 'keys are per principal');
  t.not(toms.body.message_id, one.body.message_id);

  const bad = await post(first.url, 'POST', messages, cast.jane, { body: 'x' }, 'k'.repeat(201));
  t.equal(bad.status, 400, 'a key over 200 characters');

  // Twins at once: one write, the same answer for all.
  const twins = await Promise.all(Array.from({ length: 6 }, () => post(first.url, 'POST', messages, cast.jane, { body: 'Twin.' }, 'key-twin')));
  t.same(new Set(twins.map((r) => r.status)), new Set([201]));
  t.equal(new Set(twins.map((r) => r.body.message_id)).size, 1, 'one message id for all twins');
  t.equal(await count(first), 4, 'one message written for six twins');

  // A refusal is kept as well: the retry gets the same rule id without judging again.
  const closed = await post(first.url, 'POST', messages, cast.john, { body: 'as jane', corrects: one.body.message_id }, 'key-refused');
  t.equal(closed.status, 422);
  const closedAgain = await post(first.url, 'POST', messages, cast.john, { body: 'as jane', corrects: one.body.message_id }, 'key-refused');
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
  const p1 = await post(second.url, 'PATCH', `/api/records/${rec.id}/threads/${c1.body.thread_id}`, cast.jane, { status: 'closed' }, 'key-close');
  const p2 = await post(second.url, 'PATCH', `/api/records/${rec.id}/threads/${c1.body.thread_id}`, cast.jane, { status: 'closed' }, 'key-close');
  t.equal(p1.status, 200);
  t.same(p2.body, p1.body);
});
