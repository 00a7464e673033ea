// The web view served by the real server over real HTTP on 127.0.0.1: a record written through
// the server's service (API) and by a git push, read as pages by principals of every kind. A
// patient sees its threads and nothing of a clinician-only thread of the same record; an outsider
// and a stranger see no clinical content; every answer, error pages included, has the headers.

import { request } from 'node:http';
import t from 'tap';
import type { RecordId, ThreadId } from '../../core/ids.js';
import { pageHeaders, webPaths } from '../../server/web/index.js';
import { CoordinationService } from '../../service/CoordinationService.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET (or another method) with Basic credentials, a raw Authorization header, or none. */
function get(base: string, path: string, auth: Creds | string | null, method = 'GET'): Promise<Answer> {
  const header =
    auth === null
      ? {}
      : {
          Authorization:
            typeof auth === 'string' ? auth : `Basic ${Buffer.from(`${auth.name}:${auth.token}`).toString('base64')}`,
        };
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: header }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const SHARED = 'Shared note: please book spirometry for next week.';
const PUSHED = 'Pushed with git: spirometry booked for Tuesday.';
const SECRET = 'Clinician-only: concern about adherence, discuss at MDT.';
const LATER = 'Written after John left the thread.';

/** The headers every page of the web view carries, as the test expects them (lower-case names). */
const expected = Object.fromEntries(Object.entries(pageHeaders()).map(([k, v]) => [k.toLowerCase(), v]));

t.test('the web view on the real server', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const auditor = await s.principal({ name: 'audit', kind: 'auditor' });
  const outsider = await s.principal({
    name: 'mallory',
    kind: 'participant',
    participant_id: 'e1e2e3e4-0000-4000-8000-000000000001',
    role: 'patient',
    display_name: 'Mallory',
  });
  // The record and its shared thread are written through the server's service (the JSON API).
  const first = { author_id: jane.participant_id, body: SHARED };
  const rec = await s.record({ participants: [jane, tom, john], message: first });
  const id = rec.id as RecordId;
  const shared = rec.thread as ThreadId;
  // A message, a clinician-only thread and a thread of john's own are pushed with git.
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(id, s.admin), 'c']);
  const svc = await CoordinationService.at(`${work}/c`);
  await svc.addMessage(committer, place, shared, { author: as(tom), body: PUSHED });
  const hidden = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: SECRET });
  const own = await svc.createThread(committer, place, [jane, john], { author: as(john), body: 'My own question.' });
  await gitOk(`${work}/c`, ['push', '-q', 'origin', 'main']);
  const page = (thread: ThreadId) => webPaths.thread(id, thread);

  t.test('the thread page shows what was written through the service and what was pushed, in order', async (t) => {
    const a = await get(s.url, page(shared), s.admin);
    t.equal(a.status, 200);
    t.match(a.headers, expected, 'with the headers of the web view');
    const at = [SHARED, PUSHED].map((x) => a.body.indexOf(x));
    t.ok(at[0]! > 0 && at[1]! > at[0]!, `both messages, in order (${at.join(', ')})`);
    t.match(a.body, 'Dr Tom Patel');
    t.notMatch(a.body, /<script/i, 'no script in the page');
    const h = await get(s.url, page(hidden), s.admin);
    t.equal(h.status, 200, 'the admin reads the clinician-only thread');
    t.match(h.body, SECRET);
  });

  t.test('the record page lists the threads the reader may see', async (t) => {
    const links = (body: string) =>
      [...body.matchAll(/href="(\/records\/[^"]+\/threads\/[^"]+)"/g)].map((m) => m[1]).sort();
    const all = [page(shared), page(hidden), page(own)].sort();
    for (const who of [s.admin, auditor, cast.jane]) {
      const a = await get(s.url, webPaths.record(id), who);
      t.equal(a.status, 200, `${who.name} reads the record page`);
      t.same(links(a.body), all, `${who.name} sees every thread`);
    }
    const j = await get(s.url, webPaths.record(id), cast.john);
    t.equal(j.status, 200);
    t.same(links(j.body), [page(shared), page(own)].sort(), 'the patient sees its two threads only');
    const api = await s.api('GET', `/api/records/${id}`, cast.john);
    const summarised = api.body.threads.map((x: { thread_id: ThreadId }) => page(x.thread_id)).sort();
    t.same(links(j.body), summarised, 'the threads of its JSON summary (its view)');
    t.notMatch(j.body, hidden, 'nothing of the hidden thread: not its id');
    t.match(j.body, 'Threads (2)');
    t.match(j.headers, expected);
  });

  t.test('a patient reads its thread; the clinician-only thread, guessed, is a 404 with nothing of it', async (t) => {
    const mine = await get(s.url, page(shared), cast.john);
    t.equal(mine.status, 200);
    t.match(mine.body, SHARED);
    const guessed = await get(s.url, page(hidden), cast.john);
    t.equal(guessed.status, 404);
    t.match(guessed.headers, expected, 'the error page has the same headers');
    t.match(guessed.body, '<h1>Not found</h1>');
    for (const leak of [SECRET, hidden, 'Thread started', 'Dr Jane Smith', 'Participants']) {
      t.notMatch(guessed.body, leak, `no "${leak}"`);
    }
    const none = await get(s.url, page(`${hidden.slice(0, -4)}0000` as ThreadId), cast.john);
    t.same([none.status, none.body], [404, guessed.body], 'a hidden thread answers exactly as a missing one');
  });

  t.test('an outsider with a valid token, and every stranger, sees no clinical content', async (t) => {
    const bad = { name: 'john', token: `${cast.john.token}x` };
    const cases: Array<[string, Creds | string | null, number]> = [
      ['an outsider participant', outsider, 404],
      ['no credentials', null, 401],
      ['a wrong token', bad, 401],
      ['a malformed header', 'Basic !!!', 401],
      ['a bearer token that is no sign-on token', `Bearer ${cast.john.token}`, 401],
    ];
    for (const [who, auth, status] of cases) {
      for (const path of [webPaths.record(id), webPaths.archived(id), page(shared), page(hidden)]) {
        const a = await get(s.url, path, auth);
        t.equal(a.status, status, `${who}: ${path} is ${status}`);
        t.match(a.headers, expected, `${who}: the headers`);
        if (status === 401) {
          t.equal(a.headers['www-authenticate'], 'Basic realm="CCR", charset="UTF-8"', 'the browser is asked');
        }
        for (const leak of [SHARED, PUSHED, SECRET, 'Dr Jane Smith', 'John Doe', 'Thread started']) {
          t.notMatch(a.body, leak);
        }
        t.notMatch(a.body, /\bat \S+\.js:\d+|Error:/, 'no stack or error text');
      }
    }
  });

  t.test('the other answers of the web paths are pages with the headers too', async (t) => {
    const cases: Array<[string, string, Creds | null, number]> = [
      ['an unknown record', webPaths.record('0d15ea5e-0000-4000-8000-000000000000' as RecordId), s.admin, 404],
      ['a path that is no page', `/records/${id}/threads/not-a-thread`, null, 404],
      ['a record id that is no id', '/records/..%2Fprincipals.json', null, 404],
      ['the bare folder', '/records', null, 404],
      ['a POST', webPaths.record(id), s.admin, 405],
      ['the archived page', webPaths.archived(id), s.admin, 200],
    ];
    for (const [what, path, auth, status] of cases) {
      const a = await get(s.url, path, auth, what === 'a POST' ? 'POST' : 'GET');
      t.equal(a.status, status, `${what}: ${status}`);
      t.match(a.headers, expected, `${what}: the headers`);
      t.match(a.body, /^<!doctype html>/, `${what}: a page`);
    }
    const head = await get(s.url, page(shared), cast.john, 'HEAD');
    t.same([head.status, head.body], [200, ''], 'HEAD answers without a body');
    t.match(head.headers, expected);
  });

  t.test('a patient removed from a thread reads it up to its removal, as its view (SPEC 12) holds it', async (t) => {
    const removal = { by: as(jane), removeParticipants: [john.participant_id] };
    await svc.updateThreadLedger(committer, place, shared, removal);
    await svc.addMessage(committer, place, shared, { author: as(jane), body: LATER });
    await gitOk(`${work}/c`, ['push', '-q', 'origin', 'main']);
    const frozen = await get(s.url, page(shared), cast.john);
    t.equal(frozen.status, 200);
    t.match(frozen.body, SHARED);
    t.match(frozen.body, PUSHED);
    t.match(frozen.body, 'Participant removed: John Doe (patient).', 'the removal itself is shown');
    t.notMatch(frozen.body, LATER, 'nothing written after the removal');
    const rec = await get(s.url, webPaths.record(id), cast.john);
    t.equal(rec.status, 200, "the record is still john's through its own thread");
    t.match(rec.body, page(shared), 'the thread stays listed, as in its view');
    t.notMatch(rec.body, hidden, 'the clinician-only thread still is not');
    t.match((await get(s.url, page(shared), cast.jane)).body, LATER, 'the clinician reads on');
  });
});
