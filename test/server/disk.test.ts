// Storage grows by what was added (issue 19, item 13): many small appends in one push to a large
// thread are kept as the pack the client sent (deltas, and one full copy of the thread git adds to
// complete it), not as one full copy of the file per commit; `git gc --auto` in the background
// then folds the packs into one with deltas between versions.

import { existsSync, readdirSync, statSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { renderCommitMessage, subjects } from '../../core/commitMessage.js';
import { newUuid, formatTimestamp, type MessageId, type ParticipantId, type RecordId, type Timestamp } from '../../core/ids.js';
import { renderLedger } from '../../core/ledger.js';
import { appendMessages, type Message } from '../../core/messages/grammar.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath as threadPath } from '../../core/layout.js';
import { files } from '../../service/record.js';
import { Maintenance } from '../../server/maintenance.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** Bytes of the files under a folder. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const d of readdirSync(dir, { withFileTypes: true })) total += d.isDirectory() ? bytesUnder(`${dir}/${d.name}`) : statSync(`${dir}/${d.name}`).size;
  return total;
}

/** Text that compresses about as clinical prose does (words from a small vocabulary, shuffled). */
function prose(seed: number, length: number): string {
  const words = ['patient', 'reviewed', 'stable', 'observations', 'plan', 'continue', 'medication', 'dose', 'ward', 'reassess', 'bloods', 'pending', 'chest', 'clear', 'pain', 'mobilising', 'discharge', 'family', 'informed', 'morning'];
  let x = seed || 1;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += `${words[x % words.length]}${x % 7 === 0 ? '.\n' : ' '}`;
  }
  return out.trim();
}

/** Grow a thread of a working copy by `count` messages of ~4 KiB, in one commit. */
async function grow(svc: CoordinationService, thread: string, count: number): Promise<void> {
  const start = Date.now();
  const messages: Message[] = Array.from({ length: count }, (_, i) => ({
    id: newUuid() as MessageId, type: 'clinician', timestamp: formatTimestamp(start + i) as Timestamp,
    authorId: jane.participant_id as ParticipantId, author: jane.display_name, body: prose(i + 1, 4000),
  }));
  await svc.record.write(committer, async (head) => {
    const ledger = await svc.record.ledger(head!, thread);
    return {
      files: files({
        [threadPath(thread, MESSAGES_FILE)]: appendMessages(await svc.record.messagesText(head!, thread), messages),
        [threadPath(thread, LEDGER_FILE)]: renderLedger({ ...ledger, last_updated_at: messages[messages.length - 1]!.timestamp }),
      }),
      message: renderCommitMessage(subjects.addMessage, place), result: null,
    };
  });
}

t.test('16 tiny appends in one push to a 1 MiB thread add one compressed copy at most, and kilobytes once packed', async (t) => {
  // The server's own gc stays out of the way (on a busy machine it would fold the packs part-way
  // through, leaving the last push's pack beside the folded one); the test runs the same gc below.
  const s = await testServer(t, { maintenancePauseMs: 3_600_000 });
  const rec = await s.record({ participants: [jane] });
  const work = `${tempDir(t)}/w`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), work]);
  const svc = await CoordinationService.at(work);
  await grow(svc, rec.thread!, 300);
  await gitOk(work, ['push', '-q', 'origin', 'main']);
  const objects = `${s.server.context.records.path(rec.id as RecordId)}/objects`;
  const thread = statSync(`${work}/communications/${rec.thread}/messages.md`).size;
  t.ok(thread > 1024 * 1024, `the thread holds ${thread} bytes`);
  const start = bytesUnder(objects);
  for (let round = 1; round <= 9; round++) {
    const before = bytesUnder(objects);
    for (let i = 0; i < 16; i++) await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: `Noted ${round}.${i}.` });
    await gitOk(work, ['push', '-q', 'origin', 'main']);
    const added = bytesUnder(objects) - before;
    t.ok(added < thread / 3, `push ${round} of 16 appends added ${added} bytes (a thread of ${thread})`);
  }
  const gitdir = s.server.context.records.path(rec.id as RecordId);
  await new Maintenance(() => gitdir, s.server.context.gitEnv, () => undefined, 0).run(rec.id as RecordId);
  const packs = () => readdirSync(`${objects}/pack`).filter((f) => f.endsWith('.pack')).length;
  // gc detaches: wait until it has folded the packs and ended (it holds gc.pid while it runs).
  const running = () => existsSync(`${gitdir}/gc.pid`);
  for (let i = 0; i < 1200 && (packs() > 1 || running()); i++) await new Promise((r) => setTimeout(r, 100));
  const added = bytesUnder(objects) - start;
  t.ok(added < 256 * 1024, `after gc --auto, 144 appends in 9 pushes hold ${added} bytes in all`);
  t.equal((await gitOk(gitdir, ['--git-dir', gitdir, 'fsck', '--no-dangling'])).trim(), '', 'git fsck is clean');
});
