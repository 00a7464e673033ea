// Participant views served over HTTP (SPEC 12, issue 13), with the git CLI: a patient in one
// thread clones a record and no object of its clone holds a byte of the clinicians' thread; its
// fetches fast-forward and stop at its removal; its pushes are translated onto `main` and land,
// or are refused with a rule id leaving nothing behind; its JSON reads show only its view.

import { promises as fs } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import type { RecordId } from '../../core/ids.js';
import { exists } from '../../git/fsutil.js';
import { ViewStore } from '../../git/views/store.js';
import { admin, as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { pkt, send } from '../helpers/wire.js';

const SECRET = 'SAFEGUARDING-MARKER-7f3e';

/** Every object of a clone, whole (`git cat-file --batch-all-objects --batch`). */
async function objectStore(dir: string): Promise<string> {
  return gitOk(dir, ['cat-file', '--batch-all-objects', '--batch']);
}

/** Clone a record as a principal into a new folder. */
async function clone(t: Test, s: TestServer, record: string, who: Creds): Promise<string> {
  const dir = `${tempDir(t)}/${who.name}`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, who), dir]);
  return dir;
}

const head = async (dir: string) => (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
const served = async (s: TestServer, record: string, who: Creds) =>
  (await gitOk('/', ['ls-remote', s.gitUrl(record, who), 'refs/heads/main'])).split('\t')[0]!;
const asJohn = ['-c', 'user.name=John Doe', '-c', 'user.email=john@ccr.invalid'];
const say = async (dir: string, thread: string, who: typeof jane, body: string) => {
  await (await CoordinationService.at(dir)).addMessage(committer, place, thread, { author: as(who), body });
};

/** A record with a thread of jane, tom and john (the patient) and a clinicians' thread of jane and tom. */
async function scene(t: Test) {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const welcome = { author_id: jane.participant_id, body: 'Welcome, John.' };
  const rec = await s.record({ participants: [jane, tom, john], message: welcome });
  const shared = rec.thread!;
  const tomDir = await clone(t, s, rec.id, cast.tom);
  const concern = { author: as(tom), body: `Concern: ${SECRET}` };
  const hidden = await (await CoordinationService.at(tomDir)).createThread(committer, place, [jane, tom], concern);
  const pushed = await gitRun(tomDir, ['push', 'origin', 'main']);
  if (pushed.status !== 0) throw new Error(pushed.stderr);
  return { s, cast, record: rec.id, shared, hidden, tomDir };
}

t.test("a patient's clone holds no byte of the clinicians' thread; clones agree; main's id refused", async (t) => {
  const { s, cast, record, hidden, tomDir } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);
  const store = await objectStore(johnDir);
  t.notOk(store.includes(SECRET), 'no message of the hidden thread, in any object');
  t.notOk(store.includes(hidden), 'not even its id');
  t.ok(store.includes('Welcome, John.'), 'the shared thread is there');
  t.same(await gitRun(johnDir, ['fsck', '--strict']).then((r) => r.status), 0, 'fsck clean');
  const again = await clone(t, s, record, cast.john);
  t.equal(await head(again), await head(johnDir), 'two clones give the same commit');
  const main = await head(tomDir);
  t.not(await head(johnDir), main, 'the patient does not read main');
  t.equal(await served(s, record, cast.tom), main, 'a clinician in every thread reads main itself');

  const byId = await gitRun(johnDir, ['fetch', 'origin', main]);
  t.not(byId.status, 0, "main's commit is not fetched by id");
  t.notOk((await objectStore(johnDir)).includes(SECRET), 'and brought nothing');

  // An admin reads main whole.
  const adminDir = await clone(t, s, record, s.admin);
  t.ok((await objectStore(adminDir)).includes(SECRET));
  t.equal(await head(adminDir), main);
});

t.test("fetches fast-forward, show nothing of hidden pushes, and stop at the patient's removal", async (t) => {
  const { s, cast, record, shared, hidden, tomDir } = await scene(t);
  // John stays in the record through a second thread of his own.
  const tomSvc = await CoordinationService.at(tomDir);
  await tomSvc.createThread(committer, place, [tom, john], { author: as(tom), body: 'Your results are in.' });
  await gitOk(tomDir, ['push', 'origin', 'main']);
  const johnDir = await clone(t, s, record, cast.john);
  const before = await head(johnDir);

  await say(tomDir, hidden, tom, `More: ${SECRET}-2`);
  await gitOk(tomDir, ['push', 'origin', 'main']);
  await gitOk(johnDir, ['pull', '-q', '--ff-only']);
  t.equal(await head(johnDir), before, 'a push out of sight changes nothing in the view');

  await say(tomDir, shared, tom, 'Seen you today.');
  await tomSvc.updateThreadLedger(committer, place, shared, { by: as(tom), removeParticipants: [john.participant_id] });
  await say(tomDir, shared, tom, 'WRITTEN-AFTER-REMOVAL');
  await gitOk(tomDir, ['push', 'origin', 'main']);
  await gitOk(johnDir, ['pull', '-q', '--ff-only']);
  t.equal((await gitRun(johnDir, ['merge-base', '--is-ancestor', before, 'HEAD'])).status, 0, 'a fast-forward');
  const store = await objectStore(johnDir);
  t.ok(store.includes('Seen you today.'), 'what was written before the removal');
  t.notOk(store.includes('WRITTEN-AFTER-REMOVAL'), 'nothing written after it');
  t.notOk(store.includes(SECRET), 'nor of the hidden thread');
  const log = await gitOk(johnDir, ['log', '--format=%s']);
  t.match(log, /ledger|participant|remove/i, 'the removal itself is in the view');
});

t.test("a patient's push is translated onto main and lands; main moving out of sight does not stop it", async (t) => {
  const { s, cast, record, shared, hidden, tomDir } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);
  // Main moves out of sight between the patient's fetch and push.
  await say(tomDir, hidden, tom, 'Out of sight.');
  await gitOk(tomDir, ['push', 'origin', 'main']);
  await say(johnDir, shared, john, 'PATIENT-REPLY thank you');
  const pushed = await gitRun(johnDir, ['push', 'origin', 'main']);
  t.equal(pushed.status, 0, pushed.stderr);
  t.equal(await served(s, record, cast.john), await head(johnDir), "the patient's branch is what the server serves");
  const adminDir = await clone(t, s, record, s.admin);
  const store = await objectStore(adminDir);
  t.ok(store.includes('PATIENT-REPLY thank you'), 'on main');
  t.ok(store.includes('Out of sight.'), 'with what moved out of sight kept');
  const main = await head(adminDir);
  t.not(main, await head(johnDir), 'main has a commit of its own for it');
  const last = (dir: string, at = 'HEAD') => gitOk(dir, ['log', '-1', '--format=%an|%s', at]);
  t.equal(await last(adminDir, main), await last(johnDir), 'same author and message');
  t.ok(
    s.logs.some((l) => l.includes('"push-accepted"') && l.includes('"principal":"john"')),
    'logged as accepted',
  );
  // A second push builds on the first.
  await say(johnDir, shared, john, 'And another.');
  t.equal((await gitRun(johnDir, ['push', 'origin', 'main'])).status, 0);
  t.equal(await served(s, record, cast.john), await head(johnDir));
});

t.test('hostile pushes from a view are refused with their rule ids and leave nothing behind', async (t) => {
  const { s, cast, record, shared, hidden } = await scene(t);
  const johnDir = await clone(t, s, record, cast.john);
  const start = await head(johnDir);
  const main = await served(s, record, s.admin);
  const refusedWith = async (rule: string, what: string) => {
    const r = await gitRun(johnDir, ['push', '--force', 'origin', 'HEAD:main']);
    t.not(r.status, 0, what);
    t.match(r.stderr, new RegExp(`remote: ${rule}[ :]`), `${what}: ${rule}`);
    t.match(r.stderr, /expected /, 'says what was expected');
    t.equal(await served(s, record, s.admin), main, 'main unchanged');
    t.equal(await served(s, record, cast.john), start, 'the view unchanged');
    const refs = await gitOk('/', ['ls-remote', s.gitUrl(record, s.admin)]);
    t.equal(refs.trim().split('\n').length, 2, 'no stray refs (HEAD and main)');
    await gitOk(johnDir, ['reset', '-q', '--hard', start]);
    await gitOk(johnDir, ['clean', '-qfdx']);
  };

  // A thread under the id of the hidden thread.
  await fs.mkdir(`${johnDir}/communications/${hidden}`, { recursive: true });
  for (const file of ['ledger.yaml', 'messages.md']) {
    await fs.copyFile(`${johnDir}/communications/${shared}/${file}`, `${johnDir}/communications/${hidden}/${file}`);
  }
  await gitOk(johnDir, ['add', '-A']);
  await gitOk(johnDir, [...asJohn, 'commit', '-qm', 'Create thread']);
  await refusedWith('ccr/view-path', 'a thread id colliding with a hidden thread');

  // A forged merge.
  await say(johnDir, shared, john, 'One side.');
  const side = await head(johnDir);
  await gitOk(johnDir, ['reset', '-q', '--hard', start]);
  await say(johnDir, shared, john, 'Other side.');
  await gitRun(johnDir, [...asJohn, 'merge', '-q', '--no-ff', '-s', 'ours', '-m', 'Merge', side]);
  await refusedWith('ccr/commit-parents', 'a merge');

  // A visible thread deleted: its folder removed from the view (on main: append-only, as any thread).
  await gitOk(johnDir, ['rm', '-rq', `communications/${shared}`]);
  await gitOk(johnDir, [...asJohn, 'commit', '-qm', 'Add message']);
  await refusedWith('ccr/append-only', 'a visible thread deleted');

  // An ordinary rule: a message edited in place.
  const messages = `${johnDir}/communications/${shared}/messages.md`;
  await fs.writeFile(messages, (await fs.readFile(messages, 'utf8')).replace('Welcome, John.', 'Welcome, Jon.'));
  await gitOk(johnDir, [...asJohn, 'commit', '-qam', 'Add message']);
  await refusedWith('ccr/append-only', 'an edited message');

  // A stale view: the shared thread moved since the patient fetched.
  const janeDir = await clone(t, s, record, cast.jane);
  await say(janeDir, shared, jane, 'A visible change.');
  await gitOk(janeDir, ['push', 'origin', 'main']);
  const moved = await served(s, record, cast.john);
  await say(johnDir, shared, john, 'On the old view.');
  const r = await gitRun(johnDir, ['push', '--force', 'origin', 'HEAD:main']);
  t.not(r.status, 0);
  t.match(r.stderr, /remote: ccr\/ref-fast-forward /, 'a push on a stale view');
  t.equal(await served(s, record, cast.john), moved, 'the view unchanged');
});

t.test('GET /api/records/<id> shows a participant only its view; restricted adds nothing to a view', async (t) => {
  const { s, cast, record, shared, hidden, tomDir } = await scene(t);
  const ids = (body: any) => (body.threads as Array<{ thread_id: string }>).map((x) => x.thread_id).sort();
  const asJohn = await s.api('GET', `/api/records/${record}`, cast.john);
  t.equal(asJohn.status, 200);
  t.same(ids(asJohn.body), [shared], 'the patient sees its thread only');
  t.notOk(JSON.stringify(asJohn.body).includes(hidden));
  const johnDir = await clone(t, s, record, cast.john);
  t.equal(asJohn.body.head, await head(johnDir), "the head is its view's");
  const threadsFor = async (who: Creds) => ids((await s.api('GET', `/api/records/${record}`, who)).body);
  t.same(await threadsFor(s.admin), [shared, hidden].sort(), 'an admin sees both');
  t.same(await threadsFor(cast.tom), [shared, hidden].sort(), 'so does a clinician in both');

  // Marked restricted, a thread stays in the view of its participants and in main for the others.
  const restrict = { by: as(tom), visibility: { restricted: true } };
  await (await CoordinationService.at(tomDir)).updateThreadLedger(committer, place, shared, restrict);
  await gitOk(tomDir, ['push', 'origin', 'main']);
  t.same(await threadsFor(cast.john), [shared], "restricted: still in its participant's view");
  const engine = await s.principal({ name: 'engine', kind: 'integration' });
  t.same(await threadsFor(engine), [shared, hidden].sort(), 'an integration reads main whole');
  await gitOk(johnDir, ['pull', '-q', '--ff-only']);
  t.match(await fs.readFile(`${johnDir}/communications/${shared}/ledger.yaml`, 'utf8'), /restricted: true/);
});

t.test(
  'a patient removed from its only thread still fetches up to its removal, pushes no more; outsiders get 404',
  async (t) => {
    const { s, cast, record, shared, tomDir } = await scene(t);
    const johnDir = await clone(t, s, record, cast.john);
    const before = await head(johnDir);
    const tomSvc = await CoordinationService.at(tomDir);
    await say(tomDir, shared, tom, 'Seen you today.');
    const removeJohn = { by: as(tom), removeParticipants: [john.participant_id] };
    await tomSvc.updateThreadLedger(committer, place, shared, removeJohn);
    const removal = (await gitOk(tomDir, ['rev-parse', 'HEAD'])).trim();
    await say(tomDir, shared, tom, 'WRITTEN-AFTER-REMOVAL');
    await gitOk(tomDir, ['push', 'origin', 'main']);

    // John takes part in no thread of main now, yet reads what its view kept.
    const pulled = await gitRun(johnDir, ['pull', '-q', '--ff-only']);
    t.equal(pulled.status, 0, pulled.stderr);
    t.equal((await gitRun(johnDir, ['merge-base', '--is-ancestor', before, 'HEAD'])).status, 0, 'a fast-forward');
    const store = await objectStore(johnDir);
    t.ok(store.includes('Seen you today.'), 'what was written before the removal');
    t.notOk(store.includes('WRITTEN-AFTER-REMOVAL'), 'nothing written after it');
    t.notOk(store.includes(SECRET), 'nor of the hidden thread');
    const last = (dir: string, at = 'HEAD') => gitOk(dir, ['log', '-1', '--format=%an|%ad|%s', at]);
    t.equal(await last(johnDir), await last(tomDir, removal), 'its tip is the view of the removal commit');
    t.equal((await s.api('GET', `/api/records/${record}`, cast.john)).status, 200, 'the JSON read too');
    t.equal(await served(s, record, cast.john), await head(johnDir), 'and a fresh ls-remote');

    // It may not push: refused with the reason, main untouched.
    const main = await served(s, record, s.admin);
    // The library refuses to write it; a raw commit is what a hostile client would push.
    await fs.appendFile(`${johnDir}/communications/${shared}/messages.md`, 'AFTER-MY-REMOVAL\n');
    await gitOk(johnDir, [...asJohn, 'commit', '-qam', 'after my removal']);
    const pushed = await gitRun(johnDir, ['push', 'origin', 'main']);
    t.not(pushed.status, 0, 'the push is refused');
    t.match(pushed.stderr, /remote: .*ccr\/who-write.*removed from every thread/, pushed.stderr);
    t.equal(await served(s, record, s.admin), main, 'main did not move');

    // A participant that never took part gets what a missing record gives, and no view is made for it.
    const sam = await s.principal({
      name: 'sam',
      kind: 'participant',
      participant_id: admin.participant_id,
      role: admin.role,
      display_name: admin.display_name,
    });
    t.equal((await s.api('GET', `/api/records/${record}`, sam)).status, 404, 'JSON: 404');
    const probe = await gitRun('/', ['ls-remote', s.gitUrl(record, sam)]);
    t.not(probe.status, 0, 'git: refused');
    t.match(probe.stderr, /404|not found/i);
    const views = new ViewStore(s.data);
    t.notOk(await exists(views.viewDir(record as RecordId, admin.participant_id)), 'no view repository for it');
    t.same(
      (await fs.readdir(views.viewsOf(record as RecordId))).sort(),
      [`${john.participant_id}.git`, `${tom.participant_id}.git`].sort(),
      'only the views of those who took part',
    );
  },
);

t.test(
  "a view's upload-pack ACKs no have naming a hidden object; negotiation on its own commits still works",
  async (t) => {
    const { s, cast, record, shared, hidden, tomDir } = await scene(t);
    const johnDir = await clone(t, s, record, cast.john);
    const viewTip = await head(johnDir);
    const mainTip = await head(tomDir);
    const hiddenBlob = (await gitOk(tomDir, ['rev-parse', `HEAD:communications/${hidden}/messages.md`])).trim();
    const upload = `${s.url}/coordination/${record}.git/git-upload-pack`;
    const headers = { 'Content-Type': 'application/x-git-upload-pack-request', 'Git-Protocol': 'version=2' };
    const negotiate = async (have: string) => {
      const body = Buffer.concat([
        pkt('command=fetch\n'),
        pkt('object-format=sha1\n'),
        Buffer.from('0001'),
        pkt(`want ${viewTip}\n`),
        pkt(`have ${have}\n`),
        Buffer.from('0000'),
      ]);
      const answer = await send(upload, { method: 'POST', auth: cast.john, body, headers });
      t.equal(answer.status, 200);
      return answer.body.toString('latin1');
    };
    // Git ACKs no id it does not hold, and answers a round without a common commit with a NAK.
    const unknown = await negotiate('f'.repeat(40));
    t.equal(unknown, '0014acknowledgments\n0008NAK\n0000', 'an unknown id: NAK');
    const hiddenOnes = [
      ["main's commit, hidden from the view", mainTip],
      ['a hidden blob', hiddenBlob],
    ] as const;
    for (const [what, oid] of hiddenOnes) {
      const answer = await negotiate(oid);
      t.notMatch(answer, new RegExp(`ACK ${oid}`), `${what}: no ACK`);
      t.equal(answer, unknown, `${what}: answered as an id the record does not hold`);
    }
    for (const spelt of [mainTip.toUpperCase(), `${mainTip} trailing`]) {
      t.equal(await negotiate(spelt), unknown, `main's commit, spelt ${spelt.slice(40) || 'in capitals'}: no ACK`);
    }
    t.match(await negotiate(viewTip), new RegExp(`ACK ${viewTip}`), 'a view commit is still ACKed');

    // A normal fetch after new commits negotiates on the view's commits: a small pack, not the whole view.
    await say(tomDir, shared, tom, 'A new message.');
    await gitOk(tomDir, ['push', 'origin', 'main']);
    const counts = async () =>
      Object.fromEntries(
        (await gitOk(johnDir, ['count-objects', '-v']))
          .trim()
          .split('\n')
          .map((l) => l.split(': '))
          .map(([k, v]) => [k, Number(v)]),
      );
    const before = await counts();
    await gitOk(johnDir, ['pull', '-q', '--ff-only']);
    const after = await counts();
    t.match(await fs.readFile(`${johnDir}/communications/${shared}/messages.md`, 'utf8'), /A new message\./);
    t.equal(after['in-pack'], before['in-pack'], 'nothing sent again as a pack');
    // A commit, three trees and at most two blobs; the whole view, sent again, would be more than these.
    t.ok(after['count']! - before['count']! <= 6, `only the new objects: ${after['count']! - before['count']!}`);
  },
);
