// `ccr verify` on a participant's clone of its view (SPEC 12, issue 13): cloned over HTTP from a
// real server, verified by the built command. A correct view is never refused; what a partial
// record cannot show is said, with exit status 3; a view the server did not serve is refused.

import { promises as fs } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { ccr, hasStack } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** Clone a record as a principal into a new folder. */
async function clone(t: Test, s: TestServer, record: string, who: Creds, name = who.name): Promise<string> {
  const dir = `${tempDir(t)}/${name}`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, who), dir]);
  return dir;
}

/**
 * A record john (the patient) sees part of: a thread of jane, tom and john he is removed from
 * (then written on), a clinicians' thread he never sees, and a thread with history he is added to.
 */
async function scene(t: Test) {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const welcome = { author_id: jane.participant_id, body: 'Welcome.' };
  const rec = await s.record({ participants: [jane, tom, john], message: welcome });
  const tomDir = await clone(t, s, rec.id, cast.tom);
  const svc = await CoordinationService.at(tomDir);
  const say = (thread: string, body: string) => svc.addMessage(committer, place, thread, { author: as(tom), body });
  const hidden = await svc.createThread(committer, place, [jane, tom], { author: as(tom), body: 'Clinicians only.' });
  await say(hidden, 'Still between clinicians.');
  const later = await svc.createThread(committer, place, [jane, tom], { author: as(tom), body: 'Before John joins.' });
  await say(later, 'Also before John joins.');
  await say(rec.thread!, 'Seen today.');
  const removal = { by: as(tom), removeParticipants: [john.participant_id] };
  await svc.updateThreadLedger(committer, place, rec.thread!, removal);
  await say(rec.thread!, 'After John left.');
  await svc.updateThreadLedger(committer, place, later, { by: as(tom), addParticipants: [john] });
  await say(later, 'Now with John.');
  const pushed = await gitRun(tomDir, ['push', 'origin', 'main']);
  if (pushed.status !== 0) throw new Error(pushed.stderr);
  return { s, cast, record: rec.id, tomDir, hidden, later };
}

t.test("ccr verify --view on a patient's view clone: no false refusal, says what it cannot judge", async (t) => {
  const { s, cast, record, hidden, later } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);

  const plain = await ccr(['verify', johnDir]);
  t.equal(plain.status, 1, 'without --view the late-joined thread reads as a broken history');
  t.match(plain.stderr, /ccr verify --view/, 'and the hint names --view');

  const r = await ccr(['verify', '--view', johnDir]);
  t.equal(r.status, 3, `exit status 3 (incomplete): ${r.stdout}${r.stderr}`);
  t.notOk(hasStack(r.stdout + r.stderr), 'no stack');
  t.notMatch(r.stdout, /FAILED|ccr\/commit-action/, 'no false refusal');
  t.match(r.stdout, new RegExp(`^INCOMPLETE: \\d+ of \\d+ commits of a view of record ${record}`, 'm'));
  t.match(r.stdout, /not verifiable here: this is a participant's view/);
  const setAside = `not verifiable here: commit [0-9a-f]{40} was not judged: thread ${later} came into this view`;
  t.match(r.stdout, new RegExp(setAside));
  t.match(r.stdout, /not judged offline: threads out of this view .*number of threads and commits/);
  t.match(r.stdout, /not judged offline: who may push what \(ccr\/who-\*\)/);
  t.notOk(r.stdout.includes(hidden), 'nothing of the hidden thread is named');

  const json = await ccr(['verify', '--view', '--json', johnDir]);
  t.equal(json.status, 3);
  const report = JSON.parse(json.stdout);
  t.equal(report.ok, true, 'ok: nothing wrong found');
  t.equal(report.complete, false, 'never complete');
  t.same(
    report.cameIntoView.map((c: { threads: string[] }) => c.threads),
    [[later]],
  );

  // A clinician in every thread reads main itself: plain verify says ok; --view only that it is partial.
  const tomClone = await clone(t, s, record, cast.tom, 'tom-audit');
  t.equal((await ccr(['verify', tomClone])).status, 0);
  const tomView = await ccr(['verify', '--view', tomClone]);
  t.equal(tomView.status, 3, tomView.stdout);
  t.notMatch(tomView.stdout, /was not judged/, 'nothing set aside');
});

t.test('ccr verify --view still refuses a view broken after it was served', async (t) => {
  const { s, cast, record, later } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);
  const messages = `${johnDir}/communications/${later}/messages.md`;
  await fs.writeFile(messages, (await fs.readFile(messages, 'utf8')).replace('Now with John.', 'Now without John.'));
  const asJohn = ['-c', 'user.name=John Doe', '-c', 'user.email=john@ccr.invalid'];
  await gitOk(johnDir, [...asJohn, 'commit', '-qam', 'Add message']);
  const r = await ccr(['verify', '--view', johnDir]);
  t.equal(r.status, 1, r.stdout);
  t.match(r.stdout, /^[0-9a-f]{40} ccr\/append-only/m, 'the edit, with its rule id');
  t.match(r.stdout, /^FAILED: /m);
  t.notOk(hasStack(r.stdout + r.stderr), 'no stack');
});

t.test("ccr export fhir on a patient's view clone holds its threads and nothing of the hidden one", async (t) => {
  const { s, cast, record, hidden, later } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);
  const r = await ccr(['export', 'fhir'], { cwd: johnDir });
  t.equal(r.status, 0, r.stderr);
  const text = r.stdout;
  const bundle = JSON.parse(text);
  t.equal(bundle.resourceType, 'Bundle');
  for (const said of ['Welcome.', 'Seen today.', 'Before John joins.', 'Now with John.']) {
    t.ok(text.includes(said), said);
  }
  t.notOk(text.includes('After John left.'), 'nothing written after his removal');
  for (const hiddenText of ['Clinicians only.', 'Still between clinicians.', hidden]) {
    t.notOk(text.includes(hiddenText), `nothing of the hidden thread: ${hiddenText}`);
  }
  t.ok(text.includes(later), 'the thread he was added to, by id');
});
