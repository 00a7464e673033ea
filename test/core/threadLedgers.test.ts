// Each thread's ledger at a commit (core/threadLedgers.ts): what the rights of participant
// principals and "my records" are decided from, the same whether read from `main` or from the
// commit a validator thread has just judged.

import { mkdirSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import * as module from '../../core/threadLedgers.js';
import { ledgerDelta, threadLedgers, withDelta } from '../../core/threadLedgers.js';
import { parseOid, type Oid } from '../../core/objects.js';
import { CoordinationService } from '../../index.js';
import { gitIn } from '../helpers/git.js';
import { as, clinicalId, committer, jane, john, place, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

async function record(t: Test) {
  const svc = await CoordinationService.new({ dataDir: tempDir(t) }).initialise(committer, place, clinicalId);
  const dir = svc.record.repo.worktree!;
  const head = () => parseOid(gitIn(dir, ['rev-parse', 'HEAD']).trim())!;
  const blob = (rev: string) => gitIn(dir, ['rev-parse', rev]).trim() as Oid;
  return { svc, dir, head, blob, ledgers: (c: Oid) => threadLedgers(svc.record.repo.source, c) };
}

t.test('the public surface of the module', async (t) => {
  t.same(Object.keys(module), ['ledgerDelta', 'threadLedgers', 'withDelta']);
});

t.test('every thread with its ledger blob and participant ids, as the ledgers list them', async (t) => {
  const { svc, head, blob, ledgers } = await record(t);
  t.same(await ledgers(head()), new Map(), 'a record without threads has none');
  const a = await svc.createThread(committer, place, [jane, tom, john], { author: as(jane), body: 'hello' });
  const b = await svc.createThread(committer, place, [jane, tom], { author: as(tom), body: 'between us' });
  await svc.updateThreadLedger(committer, place, a, { by: as(jane), removeParticipants: [john.participant_id] });
  const got = await ledgers(head());
  t.same(
    got,
    new Map([
      [
        a,
        { oid: blob(`HEAD:communications/${a}/ledger.yaml`), participants: [jane.participant_id, tom.participant_id] },
      ],
      [
        b,
        { oid: blob(`HEAD:communications/${b}/ledger.yaml`), participants: [jane.participant_id, tom.participant_id] },
      ],
    ]),
  );
  const again = await ledgers(head());
  t.not(again, got, 'a new answer each time');
  t.same(again, got, 'with the same content');
  t.same(
    (await ledgers(blob('HEAD~1'))).get(a)?.participants,
    [jane, tom, john].map((p) => p.participant_id),
    'and as it was before john left',
  );
});

t.test(
  'a ledger unchanged since `known` is reused, a changed one read; a folder without a ledger is no thread',
  async (t) => {
    const { svc, dir, head, ledgers } = await record(t);
    const a = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'hello' });
    const b = await svc.createThread(committer, place, [jane, john], { author: as(jane), body: 'hello john' });
    const before = await ledgers(head());
    await svc.updateThreadLedger(committer, place, b, { by: as(jane), addParticipants: [tom] });
    const after = await threadLedgers(svc.record.repo.source, head(), before);
    t.equal(after.get(a), before.get(a), "a's entry reused as it was");
    t.not(after.get(b), before.get(b), "b's read again");
    t.same(
      after.get(b)?.participants,
      [jane, john, tom].map((p) => p.participant_id),
    );
    // A folder with no ledger (refused on main by the rules, but read here all the same), and a file.
    mkdirSync(`${dir}/communications/stray`);
    writeFileSync(`${dir}/communications/stray/messages.md`, '# Messages\n');
    writeFileSync(`${dir}/communications/README`, 'not a thread\n');
    gitIn(dir, ['add', 'communications']);
    gitIn(dir, ['-c', 'user.name=x', '-c', 'user.email=x@ccr.invalid', 'commit', '-q', '--no-verify', '-m', 'stray']);
    t.same([...(await ledgers(head())).keys()].sort(), [a, b].sort(), 'only the folders with a ledger');
  },
);

t.test(
  'a delta holds only the threads whose folder changed; applied to the old ledgers it gives the new',
  async (t) => {
    const { svc, head, ledgers } = await record(t);
    const a = await svc.createThread(committer, place, [jane, tom, john], { author: as(jane), body: 'hello' });
    const b = await svc.createThread(committer, place, [jane, tom], { author: as(tom), body: 'between us' });
    const from = head();
    const source = svc.record.repo.source;
    t.same(await ledgerDelta(source, from, from), new Map(), 'no move, no change');
    await svc.addMessage(committer, place, a, { author: as(tom), body: 'a message only' });
    const message = await ledgerDelta(source, from, head());
    t.same([...message.keys()], [a], 'a message changes its thread only');
    t.same(
      message.get(a)?.participants,
      (await ledgers(from)).get(a)?.participants,
      'with its participants as they were',
    );
    await svc.updateThreadLedger(committer, place, a, { by: as(jane), removeParticipants: [john.participant_id] });
    const c = await svc.createThread(committer, place, [tom, john], { author: as(tom), body: 'a third' });
    const delta = await ledgerDelta(source, from, head());
    t.same([...delta.keys()].sort(), [a, c].sort(), 'b, untouched, is not in it');
    t.same(
      withDelta(await ledgers(from), delta),
      await ledgers(head()),
      "old's ledgers with the delta are the new head's",
    );
    const back = await ledgerDelta(source, head(), from);
    t.equal(back.get(c), null, 'a thread that is not there any more is null');
    const old = await ledgers(head());
    t.same(withDelta(old, back), await ledgers(from), 'and going back gives the old ones');
    t.same(old, await ledgers(head()), 'withDelta leaves the map it was given as it was');
    t.ok(b);
  },
);
