// What a landed push's move of `main` brings, derived on a validator thread once it was answered
// (server/validator.ts deriveMove): the move's events, which the feed stores, and the thread
// ledgers it changed, which the participant index (who may read and push) takes. Pushed with the
// git CLI to a real server by the three ways a push lands (without receive-pack, through its hook,
// through a participant's view); each is compared with what reading `main` from disk gives, and a
// derivation for another move is never used.

import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { deriveEvents, type KnownEvents, type RecordEvent } from '../../core/events.js';
import { parseOid, type Oid } from '../../core/objects.js';
import { threadLedgers, withDelta } from '../../core/threadLedgers.js';
import { firstParentsSince } from '../../git/firstParents.js';
import { Repository } from '../../git/repository.js';
import { ParticipantIndex } from '../../server/access.js';
import type { MainAfter } from '../../server/validator.js';
import type { RecordId } from '../../core/ids.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { eventually } from '../helpers/receiver.js';
import { castPrincipals, testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** The events the feed stored for a record after cursor `after`, as derived events, audience included. */
function stored(s: TestServer, record: string, after: number): RecordEvent[] {
  const db = s.server.context.events.feed.db;
  const rows = db
    .prepare(
      'SELECT seq, kind, thread, message, changes, commit_oid, head, time FROM events WHERE record = ? AND seq > ? ORDER BY seq',
    )
    .all(record, after) as Array<Record<string, any>>;
  const audience = db.prepare('SELECT participant FROM audience WHERE seq = ? ORDER BY participant').pluck();
  return rows.map((r) => ({
    kind: r['kind'],
    record,
    ...(r['thread'] ? { thread: r['thread'] } : {}),
    ...(r['message'] ? { message: r['message'] } : {}),
    ...(r['changes'] ? { changes: JSON.parse(r['changes']) } : {}),
    commit: r['commit_oid'],
    head: r['head'],
    time: r['time'],
    audience: audience.all(r['seq']) as string[],
  }));
}

const lastSeq = (s: TestServer) =>
  (s.server.context.events.feed.db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number) ?? 0;

/** The events of main's move from `old` to `head`, read from the record on disk as the feed reads them. */
async function readBack(gitdir: string, record: string, old: Oid, head: Oid): Promise<RecordEvent[]> {
  const source = new Repository(gitdir).source;
  const chain = await firstParentsSince(source, old, head);
  if (!chain) throw new Error('expected old a few first parents back');
  return deriveEvents(source, record, old, chain);
}

const sortedAudience = (events: RecordEvent[]) => events.map((e) => ({ ...e, audience: [...e.audience].sort() }));

/** How a push reaches main: an admin's push landed without receive-pack or by it, or a participant's through its view. */
type Way = 'landed ahead' | 'receive-pack' | 'view';

/** A Repository of `gitdir` whose objects cannot be read: what it answers comes from memory. */
function unreadable(gitdir: string): Repository {
  const repo = new Repository(gitdir);
  Object.defineProperty(repo, 'source', { value: { read: () => Promise.reject(new Error('read the record')) } });
  return repo;
}

/**
 * A server, the cast, a record with a thread of jane, tom and john and one of tom and john only
 * (so jane's view is not main), and a clone (jane's, or the admin's). `moves` lists main's moves
 * as the mainMoved hooks saw them, with what the participant index answered at once, unread.
 */
async function scene(t: Test, way: Way) {
  const s = await testServer(t, { landAhead: way === 'landed ahead' });
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Welcome, John.' },
  });
  const record = rec.id as RecordId;
  const aside = await s.api('POST', `/api/records/${record}/threads`, cast.tom, {
    participants: [tom, john],
    message: { body: 'Not for jane.' },
  });
  if (aside.status !== 201) throw new Error(JSON.stringify(aside.body));
  const dir = `${tempDir(t)}/jane`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, way === 'view' ? cast.jane : s.admin), dir]);
  const gitdir = s.server.context.records.path(record);
  const index = s.server.context.participants;
  // Run after the server's own hooks: once a derivation settles, the index has taken it.
  const moves: Array<{ id: string; derived?: Promise<{ known?: MainAfter; indexed: Set<string> | Error }> }> = [];
  s.server.context.mainMoved.push((id, derived) =>
    moves.push({
      id,
      ...(derived && {
        derived: derived.then(async (known) => ({
          ...(known && { known }),
          indexed: await index.participants(record, unreadable(gitdir)).catch((e: unknown) => e as Error),
        })),
      }),
    }),
  );
  const feed = s.server.context.events.feed;
  const main = async () => parseOid((await gitOk(gitdir, ['rev-parse', 'main'])).trim())!;
  const recorded = async (head: string) =>
    eventually(async () => feed.recordedHead(record) === head, 20_000, 'the move recorded in the feed');
  await recorded(await main());
  return {
    s,
    cast,
    record,
    shared: rec.thread!,
    aside: aside.body.thread_id as string,
    dir,
    gitdir,
    moves,
    feed,
    main,
    recorded,
  };
}

for (const way of ['landed ahead', 'receive-pack', 'view'] as const)
  t.test(`a push ${way}: what its move brings, derived, is what main says`, async (t) => {
    const { s, record, shared, aside, dir, gitdir, moves, feed, main, recorded } = await scene(t, way);
    const svc = await CoordinationService.at(dir);
    const index = s.server.context.participants;
    const pushes: Array<() => Promise<unknown>> = [
      // a new thread with its first message: one commit
      () => svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'Between us.' }),
      // three commits in one push: a message, john removed, a message after
      async () => {
        await svc.addMessage(committer, place, shared, { author: as(jane), body: 'Results are back.' });
        await svc.updateThreadLedger(committer, place, shared, {
          by: as(jane),
          removeParticipants: [john.participant_id],
        });
        await svc.addMessage(committer, place, shared, { author: as(jane), body: 'After john left.' });
      },
    ];
    for (const [i, write] of pushes.entries()) {
      const old = await main();
      // The index holds the record at `old` (as after any access check): the push's move carries it on.
      await index.participants(record, new Repository(gitdir));
      await write();
      const before = { ...feed.batches };
      const after = lastSeq(s);
      const pushed = await gitRun(dir, ['push', 'origin', 'main']);
      t.equal(pushed.status, 0, pushed.stderr);
      const head = await main();
      await recorded(head);
      const reported = moves.at(-1);
      t.equal(reported?.id, record, `push ${i + 1}: main's move reported`);
      const move = await reported?.derived;
      const known = move?.known;
      t.ok(known, `push ${i + 1}: with what a validator thread derived`);
      if (!known || !move) continue;
      t.same([known.old, known.head], [old, head], "for exactly this move of main's");
      const read = await readBack(gitdir, record, old, head);
      t.ok(read.length > 0, 'a move with events');
      t.same(sortedAudience(known.events), sortedAudience(read), 'its events are those read back from main');
      t.same(
        sortedAudience(stored(s, record, after)),
        sortedAudience(read),
        'and the feed stored them, audiences included',
      );
      t.same(feed.batches, { known: before.known + 1, read: before.read }, 'from the judgement, not read again');
      const source = new Repository(gitdir).source;
      t.same(
        withDelta(await threadLedgers(source, old), known.ledgers),
        await threadLedgers(source, head),
        "the thread ledgers it changed, applied to old's, are the new head's as read from main",
      );
      t.notOk(known.ledgers.has(aside), 'a thread the move did not touch is not in it');
      const fresh = await new ParticipantIndex().participants(record, new Repository(gitdir));
      const indexed = await move.indexed;
      t.notOk(indexed instanceof Error, 'the participant index answered without reading the record');
      if (!(indexed instanceof Error)) t.same([...indexed].sort(), [...fresh].sort(), 'what main says');
    }
    const now = await index.participants(record, new Repository(gitdir));
    t.ok(now.has(john.participant_id), 'john, removed from one thread, is still in the other');
  });

t.test('one removed by a push is refused its next push, and loses the record from its records', async (t) => {
  const { s, cast, record, shared, aside, dir } = await scene(t, 'view');
  const johnDir = `${tempDir(t)}/john`;
  await gitOk('/', ['clone', '-q', s.gitUrl(record, cast.john), johnDir]);
  const svc = await CoordinationService.at(dir);
  // john leaves both threads: jane removes him from hers; tom from the other, through the API
  await svc.updateThreadLedger(committer, place, shared, { by: as(jane), removeParticipants: [john.participant_id] });
  t.equal((await gitRun(dir, ['push', 'origin', 'main'])).status, 0);
  const left = await s.api('PATCH', `/api/records/${record}/threads/${aside}`, cast.tom, {
    participants: { remove: [john.participant_id] },
  });
  t.equal(left.status, 200, JSON.stringify(left.body));
  // john's clone is up to date with his view, so his push reaches the server's judgement
  t.equal((await gitRun(johnDir, ['pull', '-q', '--ff-only', 'origin', 'main'])).status, 0);
  await gitOk(johnDir, [
    '-c',
    'user.name=John',
    '-c',
    'user.email=j@ccr.invalid',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'still here?',
  ]);
  const pushed = await gitRun(johnDir, ['push', 'origin', 'main']);
  t.not(pushed.status, 0, 'john cannot push to the record any more');
  t.match(pushed.stderr, /ccr\/who-write/, 'refused by ccr/who-write: his view is read-only');
  await eventually(
    async () => !((await s.api('GET', '/api/records', cast.john)).body.records as string[]).includes(record),
    20_000,
    "the record gone from john's records",
  );
  t.ok(
    ((await s.api('GET', '/api/records', cast.jane)).body.records as string[]).includes(record),
    "and still in jane's",
  );
});

t.test('the feed uses derived events only for the very move they were derived for', async (t) => {
  const { s, record, shared, dir, gitdir, feed, recorded } = await scene(t, 'landed ahead');
  const svc = await CoordinationService.at(dir);
  const fake = (old: Oid, head: Oid): KnownEvents => ({
    old,
    head,
    events: [{ kind: 'record.updated', record, commit: head, head, time: new Date(0).toISOString(), audience: [] }],
  });
  const faked = (events: RecordEvent[]) => events.some((e) => e.time === new Date(0).toISOString());
  const other = (c: string) => parseOid(c.repeat(40))!;
  // Each move of main is made out of band (as a restore would): straight into the repository on disk.
  const cases: Array<[string, (old: Oid, head: Oid) => KnownEvents, boolean]> = [
    ['derived for another new head: read from main', (old) => fake(old, other('2')), false],
    ['derived for another old head: read from main', (_, head) => fake(other('1'), head), false],
    ['derived for this very move: used as given (what the server trusts its judgement for)', fake, true],
  ];
  for (const [name, known, used] of cases) {
    const old = parseOid((await gitOk(dir, ['rev-parse', 'HEAD'])).trim())!;
    await svc.addMessage(committer, place, shared, { author: as(jane), body: `Written around the server: ${name}` });
    const head = parseOid((await gitOk(dir, ['rev-parse', 'HEAD'])).trim())!;
    await gitOk(dir, ['push', '-q', gitdir, 'main']);
    const after = lastSeq(s);
    feed.moved(record, known(old, head));
    await recorded(head);
    const events = stored(s, record, after);
    if (used) t.ok(faked(events), name);
    else {
      t.notOk(faked(events), name);
      t.same(
        sortedAudience(events),
        sortedAudience(await readBack(gitdir, record, old, head)),
        'what reading main gives',
      );
    }
  }
});
