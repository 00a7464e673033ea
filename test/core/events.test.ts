// Deriving a record's events from the commits between two `main`s (core/events.ts): each change
// once, in order, with identifiers only (never a body or a name), and an audience that follows
// the participant views (SPEC 12).

import t, { type Test } from 'tap';
import * as events from '../../core/events.js';
import { deriveEvents, messageIds, type RecordEvent } from '../../core/events.js';
import type { Oid } from '../../core/objects.js';
import { CoordinationService } from '../../index.js';
import { gitIn } from '../helpers/git.js';
import { as, clinicalId, committer, jane, john, place, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

async function record(t: Test) {
  const svc = await CoordinationService.new({ dataDir: tempDir(t) }).initialise(committer, place, clinicalId);
  const dir = svc.record.repo.worktree!;
  const head = () => gitIn(dir, ['rev-parse', 'HEAD']).trim() as Oid;
  const chain = (from: Oid | null, to: Oid) =>
    gitIn(dir, ['rev-list', '--first-parent', '--reverse', from ? `${from}..${to}` : to])
      .trim()
      .split('\n')
      .filter(Boolean) as Oid[];
  const derive = (from: Oid | null, to: Oid) =>
    deriveEvents(svc.record.repo.source, svc.coordinationId, from, chain(from, to));
  return { svc, dir, head, derive };
}

const shape = (es: RecordEvent[]) => es.map((e) => [e.kind, e.thread ?? null, e.message ?? null]);

t.test('the module exports the derivation, the kinds and the id reader', async (t) => {
  t.same(Object.keys(events).sort(), ['deriveEvents', 'eventKinds', 'isEventKind', 'ledgerChanges', 'messageIds']);
  t.same(events.eventKinds, ['record.created', 'record.updated', 'thread.created', 'thread.updated', 'message.added']);
  t.ok(events.isEventKind('message.added'));
  t.notOk(events.isEventKind('message.deleted'));
});

t.test('a new record, a thread with a first message, and a reply', async (t) => {
  const { svc, head, derive } = await record(t);
  const created = head();
  const thread = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'SECRET-BODY first' });
  const first = head();
  const reply = await svc.addMessage(committer, place, thread, { author: as(tom), body: 'SECRET-BODY reply' });
  const last = head();

  const all = await derive(null, last);
  const firstMessage = all.find((e) => e.kind === 'message.added' && e.message !== reply)?.message;
  t.same(shape(all), [
    ['record.created', null, null],
    ['thread.created', thread, null],
    ['message.added', thread, firstMessage],
    ['message.added', thread, reply],
  ]);
  t.equal(all[0]!.commit, created);
  t.equal(all[1]!.commit, first);
  t.equal(all[3]!.commit, last);
  t.ok(
    all.every((e) => e.head === last && e.record === svc.coordinationId),
    'every event names the new head and the record',
  );
  t.ok(all.every((e) => /^\d{4}-\d\d-\d\dT.*Z$/.test(e.time)));
  const text = JSON.stringify(all);
  t.notOk(text.includes('SECRET-BODY'), 'no body');
  t.notOk(text.includes('Jane') || text.includes(place), 'no name, no place');
  t.same(all[1]!.audience.sort(), [jane.participant_id, tom.participant_id].sort());

  t.same(shape(await derive(first, last)), [['message.added', thread, reply]], 'only what is after old');
  t.same(await derive(last, last), [], 'no move, no events');
});

t.test('ledger changes say what changed, and a removed participant sees its removal only', async (t) => {
  const { svc, head, derive } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom, john], { author: as(jane), body: 'hello' });
  const before = head();
  await svc.updateThreadLedger(committer, place, thread, { by: as(jane), removeParticipants: [john.participant_id] });
  const removed = head();
  await svc.addMessage(committer, place, thread, { author: as(tom), body: 'after john left' });
  await svc.updateThreadLedger(committer, place, thread, { by: as(jane), visibility: { sensitivity: 'confidential' } });
  const got = await derive(before, head());
  const updates = got.filter((e) => e.kind === 'thread.updated');
  t.same(
    updates.map((e) => e.changes),
    [['participants'], ['visibility']],
  );
  t.equal(updates[0]!.commit, removed);
  t.ok(updates[0]!.audience.includes(john.participant_id), 'john sees the commit that removed him');
  const later = got.filter((e) => e.commit !== removed);
  t.ok(later.length >= 2);
  t.ok(
    later.every((e) => !e.audience.includes(john.participant_id)),
    'and nothing after it',
  );
  t.ok(
    got.some((e) => e.kind === 'message.added' && e.commit === removed),
    'the system message of the change is an event too',
  );
});

t.test("a record status change is record.updated, seen by the record's participants", async (t) => {
  const { svc, head, derive } = await record(t);
  await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'hello' });
  const before = head();
  await svc.updateCoordinationStatus(committer, place, { record_queryable: false });
  const got = await derive(before, head());
  t.same(
    got.map((e) => e.kind),
    ['record.updated'],
  );
  t.same(got[0]!.audience.sort(), [jane.participant_id, tom.participant_id].sort());
});

t.test('a merge brings what it merged once', async (t) => {
  const { svc, dir, head, derive } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'hello' });
  const base = head();
  const side = await (
    await CoordinationService.at(dir)
  ).addMessage(committer, place, thread, { author: as(tom), body: 'side' });
  gitIn(dir, ['branch', 'side']);
  gitIn(dir, ['reset', '-q', '--hard', base]);
  const other = await (
    await CoordinationService.at(dir)
  ).createThread(committer, place, [jane, tom], { author: as(tom), body: 'other' });
  const mainBefore = head();
  gitIn(dir, ['-c', 'user.name=CCR Test', '-c', 'user.email=test@ccr.invalid', 'merge', '-q', '--no-edit', 'side']);
  const merged = head();
  const got = await derive(base, merged);
  t.same(got.filter((e) => e.kind === 'message.added' && e.message === side).length, 1, 'the side message once');
  t.same(
    got.filter((e) => e.kind === 'thread.created').map((e) => e.thread),
    [other],
  );
  t.equal(got.find((e) => e.message === side)!.commit, merged, 'at the merge commit');
  t.ok((await derive(mainBefore, merged)).every((e) => e.kind === 'message.added' && e.message === side));
});

t.test("a fast-forward to a peer's merge brings only what was new, once", async (t) => {
  const { svc, dir, head, derive } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'hello' });
  const second = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'hello' });
  const base = head();
  await (await CoordinationService.at(dir)).addMessage(committer, place, thread, { author: as(jane), body: 'ours' });
  const ours = head();
  gitIn(dir, ['branch', 'ours']);
  gitIn(dir, ['reset', '-q', '--hard', base]);
  const theirs = await (
    await CoordinationService.at(dir)
  ).addMessage(committer, place, second, { author: as(tom), body: 'theirs' });
  gitIn(dir, ['-c', 'user.name=CCR Test', '-c', 'user.email=test@ccr.invalid', 'merge', '-q', '--no-edit', 'ours']);
  const merged = head();
  // Our main was `ours`; the peer's merge has its own line first: `ours` is not on its first-parent chain.
  const got = await derive(ours, merged);
  t.same(
    got.map((e) => [e.kind, e.message]),
    [['message.added', theirs]],
    'their message once, ours not again',
  );
});

t.test('message ids are read from the block fields only', async (t) => {
  const a = '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12';
  const text = `# Messages\n\n## Message\n\n**ID:** \`${a}\`  \n**Type:** message  \n\nbody mentions **ID:** \`${a.replace('4', '5')}\`\n`;
  t.same(messageIds(text), [a]);
});
