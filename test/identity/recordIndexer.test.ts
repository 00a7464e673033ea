// "My records": the reverse index participant id → records, kept up to date from record moves
// (written here with the project's own service into real bare repositories in the server's
// layout), rebuilt from the records when lost or stale, and queried page by page.

import { rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { Principal } from '../../core/principal.js';
import type { RecordId } from '../../core/ids.js';
import { ParticipantIndex } from '../../server/access.js';
import * as indexer from '../../server/identity/recordIndexer.js';
import { myRecords, participantsFromRecords, RecordIndexer } from '../../server/identity/recordIndexer.js';
import { RecordStore } from '../../store/records.js';
import { CoordinationService } from '../../service/CoordinationService.js';
import { createRecord } from '../../service/initialise.js';
import type { RecordHandle } from '../../service/record.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { as, clinicalId, committer, jane, john, place, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

const janeP: Principal = {
  kind: 'participant',
  name: 'jane',
  participantId: jane.participant_id,
  role: 'clinician',
  displayName: jane.display_name,
};
const tomP: Principal = { ...janeP, name: 'tom', participantId: tom.participant_id };
const johnP: Principal = { ...janeP, name: 'john', participantId: john.participant_id, role: 'patient' };

async function setup(t: Test) {
  const data = tempDir(t, 'ccr-index-');
  const records = new RecordStore(`${data}/coordination`);
  const stores = await openIdentityStores(data, { actor: 'server' });
  t.teardown(() => stores.close());
  const participantsOf = participantsFromRecords(records, new ParticipantIndex());
  const ix = new RecordIndexer(stores.records, participantsOf);
  /** A record with one thread of these participants (jane first, who creates it). */
  const record = async (participants = [jane]) => {
    const options = {
      path: (id: RecordId) => records.path(id),
      bare: true,
      author: committer,
      careLocation: place,
      clinicalId,
    };
    const first = (s: RecordHandle) =>
      new CoordinationService(s).createThread(committer, place, participants, { author: as(jane), body: 'Hello.' });
    const { handle, then } = await createRecord(options, first);
    return { id: handle.id, svc: new CoordinationService(handle), thread: then! };
  };
  const list = (after: string | undefined, limit: number) => records.list(after, limit);
  return { data, records, index: stores.records, ix, record, list, db: stores.db };
}

t.test('exports the index maintenance and the query', async (t) => {
  t.same(Object.keys(indexer).sort(), ['RecordIndexer', 'myRecords', 'participantsFromRecords']);
});

t.test('follows every move of a record: added, removed and returning participants', async (t) => {
  const { index, ix, record, list } = await setup(t);
  await ix.rebuild(list);
  const a = await record([jane, tom]);
  ix.moved(a.id);
  await ix.idle();
  t.same((await myRecords(index, janeP, undefined, undefined)).records, [a.id]);
  t.same((await myRecords(index, tomP, undefined, undefined)).records, [a.id]);
  t.same((await myRecords(index, johnP, undefined, undefined)).records, []);

  await a.svc.updateThreadLedger(committer, place, a.thread, {
    by: as(jane),
    addParticipants: [john],
    removeParticipants: [tom.participant_id],
  });
  ix.moved(a.id);
  await ix.idle();
  t.same((await myRecords(index, johnP, undefined, undefined)).records, [a.id], 'added');
  t.same((await myRecords(index, tomP, undefined, undefined)).records, [], 'removed');
  t.equal(await index.indexedHead(a.id), await a.svc.record.repo.head(), "at the record's head");

  await a.svc.updateThreadLedger(committer, place, a.thread, { by: as(jane), addParticipants: [tom] });
  for (let i = 0; i < 5; i++) ix.moved(a.id); // a burst of moves is coalesced
  await ix.idle();
  t.same((await myRecords(index, tomP, undefined, undefined)).records, [a.id], 'back again');
});

t.test("pages a participant's records in id order and checks the query", async (t) => {
  const { index, ix, record, list } = await setup(t);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await record([jane])).id);
  await ix.rebuild(list);
  ids.sort();
  const first = await myRecords(index, janeP, undefined, '2');
  t.same(first, { records: ids.slice(0, 2), next: ids[1] });
  t.same(await myRecords(index, janeP, first.next, '2'), { records: ids.slice(2, 4), next: ids[3] });
  t.same(await myRecords(index, janeP, ids[3], '2'), { records: ids.slice(4) });
  await t.rejects(myRecords(index, janeP, 'x', '2'), { code: 'InvalidInput', message: /after to be a record id/ });
  await t.rejects(myRecords(index, janeP, undefined, '0'), {
    code: 'InvalidInput',
    message: /limit between 1 and 1000/,
  });
  await t.rejects(myRecords(index, { kind: 'admin', name: 'admin' }, undefined, undefined), { code: 'Forbidden' });
});

t.test('a lost index answers 503 until rebuilt from the records; a stale one is brought up to date', async (t) => {
  const { index, record, list, records } = await setup(t);
  const a = await record([jane, tom]);
  const b = await record([jane]);
  await t.rejects(
    myRecords(index, janeP, undefined, undefined),
    { code: 'Unavailable', message: /being rebuilt/ },
    'never a partial answer',
  );
  const ix = new RecordIndexer(index, participantsFromRecords(records, new ParticipantIndex()));
  t.same(await ix.rebuild(list), { checked: 2, updated: 2, forgotten: 0 });
  t.same((await myRecords(index, janeP, undefined, undefined)).records, [a.id, b.id].sort());

  // A move the index never heard of (a crash between the move and the update): stale until the next rebuild.
  await a.svc.updateThreadLedger(committer, place, a.thread, {
    by: as(jane),
    removeParticipants: [tom.participant_id],
  });
  t.same((await myRecords(index, tomP, undefined, undefined)).records, [a.id], 'stale');
  rmSync(records.path(b.id), { recursive: true }); // and a record gone
  t.same(await ix.rebuild(list), { checked: 1, updated: 1, forgotten: 1 }, 'only the moved record is read again');
  t.same((await myRecords(index, tomP, undefined, undefined)).records, []);
  t.same((await myRecords(index, janeP, undefined, undefined)).records, [a.id]);
  t.same(await ix.rebuild(list), { checked: 1, updated: 0, forgotten: 0 }, 'nothing to do when up to date');
});
