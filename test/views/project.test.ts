// The projection of main for a reader (SPEC 12), on hand-made histories: what a view holds after
// creations, removals, re-additions, restriction and sync merges, and which commits it keeps.

import t from 'tap';
import * as project from '../../core/views/project.js';
import * as reader from '../../core/views/reader.js';
import { everythingReader, participantReader, readerFor } from '../../core/views/reader.js';
import { extractCommitSignature } from '../../core/ssh/commitSignature.js';
import { formatCommit, parseCommit, parseTree, type Oid } from '../../core/objects.js';
import type { ParticipantId } from '../../core/ids.js';
import type { Role } from '../../core/vocabulary.js';
import { History, MemoryViews, cast, marker, systemsReader, threadId } from './history.js';

const john = participantReader(cast.john.participant_id);
const tom = participantReader(cast.tom.participant_id);

t.test('the public surface of the view modules', async (t) => {
  t.same(Object.keys(project).sort(), ['MissingView', 'VIEW_SIGNATURE_HEADER', 'ViewBuilder', 'ancestryBySource']);
  t.same(Object.keys(reader).sort(), ['everythingReader', 'isViewKey', 'participantReader', 'readerFor']);
});

t.test('a reader who sees every thread reads main itself: each commit is its own view', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  h.say(1, 'john');
  h.createThread(2, ['jane', 'tom']);
  h.say(2, 'tom');
  const views = new MemoryViews(h, everythingReader);
  for (const c of h.commits) t.equal(await views.of(c), c);
  t.equal(views.store.objects.size, 0, 'no object of its own');
});

t.test(
  'a thread the reader never took part in is absent, and commits that touch only it are not in the view',
  async (t) => {
    const h = new History();
    h.createThread(1, ['jane', 'john']);
    const before = h.say(1, 'john');
    h.createThread(2, ['jane', 'tom']);
    h.say(2, 'tom');
    const secret = h.lastMessage;
    const views = new MemoryViews(h, john);
    t.equal(await views.of(h.head), await views.of(before), 'the two hidden commits add nothing to the view');
    t.equal(await views.of(before), before, 'before the hidden thread, main is its own view');
    const markers = await views.markers(await views.of(h.head));
    t.notOk(markers.has(marker(secret)));
    const all = [...(await views.reachable(await views.of(h.head))).values()]
      .map((o) => Buffer.from(o.content).toString('latin1'))
      .join('');
    t.notOk(all.includes(threadId(2)), "not even the hidden thread's id");
  },
);

t.test("a view commit keeps its commit's author, committer and message, and not its signature", async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  h.createThread(2, ['jane', 'tom']);
  // A signed-looking main commit beside a hidden thread: its view is a new commit.
  const plain = h.say(1, 'john');
  const c = parseCommit(h.source.objects.get(plain)!.content)!;
  const signed = h.source.put(
    'commit',
    formatCommit({ ...c, extra: [['gpgsig', '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----']] }),
  );
  h.snapshots.set(signed, h.at(plain));
  h.commits.push(signed);
  const views = new MemoryViews(h, john);
  const v = await views.commit(await views.of(signed));
  t.same([v.author, v.committer, v.message], [c.author, c.committer, c.message]);
  t.same(v.extra, [], 'no gpgsig: it would not verify over another tree');
  t.equal(extractCommitSignature(Buffer.from(formatCommit(v))).signature, null);
});

t.test(
  'a removed participant keeps the thread as it was up to and including the removal, and nothing later',
  async (t) => {
    const h = new History();
    h.createThread(1, ['jane', 'john']);
    h.say(1, 'john');
    const removal = h.remove(1, 'john', 'jane');
    const removalMessage = h.lastMessage;
    const removedView = h.at(removal).text(`communications/${threadId(1)}/messages.md`);
    h.say(1, 'jane');
    const later = h.lastMessage;
    h.say(1, 'jane');
    const views = new MemoryViews(h, john);
    const tip = await views.of(h.head);
    t.equal(tip, await views.of(removal), 'messages after the removal add no commit');
    const markers = await views.markers(tip);
    t.ok(markers.has(marker(removalMessage)), "the removal's own system message is kept");
    t.notOk(markers.has(marker(later)), 'a message after the removal is not');
    const v = await views.commit(tip);
    const reachable = await views.reachable(tip);
    t.ok(
      [...reachable.values()].some((o) => Buffer.from(o.content).toString() === removedView),
      'the thread as at the removal',
    );
    t.not(v.tree, parseCommit(h.source.objects.get(h.head)!.content)!.tree);
  },
);

t.test('a participant added again sees the thread as it then is, what was written meanwhile included', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  const removal = h.remove(1, 'john', 'jane');
  h.say(1, 'jane');
  const meanwhile = h.lastMessage;
  const readd = h.add(1, 'john', 'jane');
  const views = new MemoryViews(h, john);
  t.notOk((await views.markers(await views.of(removal))).has(marker(meanwhile)));
  t.ok((await views.markers(await views.of(readd))).has(marker(meanwhile)));
  const v = await views.commit(await views.of(readd));
  t.equal(v.tree, (await views.commit(readd)).tree, "nothing is hidden once added again: main's tree");
  t.same(
    v.parents,
    [await views.of(removal)],
    'on the view of the removal: what was written meanwhile is not a commit of the view',
  );
});

t.test('the status file is in every view, and its changes appear', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'tom']);
  const before = h.head;
  const changed = h.status((x) => x.replace('record_open: true', 'record_open: false'));
  const views = new MemoryViews(h, john);
  t.not(await views.of(changed), await views.of(before));
  t.equal(await views.of(before), h.commits[0], 'john sees no thread: his view is the first commit');
  const v = await views.commit(await views.of(changed));
  t.same(v.parents, [h.commits[0]]);
});

t.test('a sync merge whose other side changed nothing visible is not in the view', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  h.createThread(2, ['jane', 'tom']);
  const base = h.head;
  h.say(1, 'john');
  const visible = h.head;
  const side = h.say(2, 'tom', base);
  const merge = await h.merge(side);
  t.ok(merge);
  const views = new MemoryViews(h, john);
  t.equal(await views.of(merge!), await views.of(visible), 'the merge adds nothing: the other side is out of sight');
  const tomViews = new MemoryViews(h, tom);
  t.equal(await tomViews.of(merge!), await tomViews.of(side));
});

t.test('a sync merge of two visible changes is a merge in the view, of the views of its parents', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  h.createThread(2, ['jane', 'tom']);
  const base = h.head;
  h.say(1, 'john');
  h.say(2, 'tom');
  const side = h.say(1, 'jane', base);
  const merge = await h.merge(side);
  const views = new MemoryViews(h, john);
  const v = await views.commit(await views.of(merge!));
  const parents = h.parents(merge!);
  t.same(v.parents, [await views.of(parents[0]!), await views.of(parents[1]!)]);
  t.equal(parents.length, 2);
  const merged = h.at(merge!).text(`communications/${threadId(1)}/messages.md`);
  const reachable = [...(await views.reachable(await views.of(merge!))).values()].map((o) =>
    Buffer.from(o.content).toString(),
  );
  t.ok(reachable.includes(merged), 'the merged thread as in main');
});

t.test('a removal on one side of a merge: the merge shows nothing written after the removal', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john', 'tom']);
  const base = h.head;
  h.remove(1, 'john', 'jane');
  h.say(1, 'tom');
  const afterRemoval = h.lastMessage;
  const side = h.say(1, 'john', base);
  const sideMessage = h.lastMessage;
  const merge = await h.merge(side);
  t.ok(merge);
  t.notOk(
    h.ledger(1, merge!)!.participants.some((p) => p.participant_id === cast.john.participant_id),
    'the removal wins in the merge',
  );
  const views = new MemoryViews(h, john);
  const markers = await views.markers(await views.of(merge!));
  t.ok(markers.has(marker(sideMessage)), 'what john wrote on his side');
  t.notOk(markers.has(marker(afterRemoval)), 'not what was written after his removal, though the merge holds it');
});

t.test('a reader that skips restricted threads: frozen when restricted, shown again when not', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'tom']);
  h.createThread(2, ['jane', 'tom'], { restricted: true });
  h.say(2, 'tom');
  const hidden = h.lastMessage;
  const restriction = h.restrict(1, true, 'jane');
  const restrictionMessage = h.lastMessage;
  h.say(1, 'tom');
  const afterRestriction = h.lastMessage;
  const views = new MemoryViews(h, systemsReader);
  let markers = await views.markers(await views.of(h.head));
  t.notOk(markers.has(marker(hidden)), 'a thread restricted from its creation is never read');
  t.ok(markers.has(marker(restrictionMessage)), 'a thread made restricted is kept up to and including that change');
  t.notOk(markers.has(marker(afterRestriction)), 'and nothing later');
  t.equal(await views.of(h.head), await views.of(restriction));
  h.restrict(1, false, 'jane');
  markers = await views.markers(await views.of(h.head));
  t.ok(markers.has(marker(afterRestriction)), 'no longer restricted: the thread as it then is');
  t.notOk(markers.has(marker(hidden)));
});

t.test('who reads a view: participants their own, the others main whole', async (t) => {
  const participant = {
    kind: 'participant' as const,
    name: 'john',
    participantId: cast.john.participant_id as ParticipantId,
    role: 'patient' as Role,
    displayName: 'John Doe',
  };
  t.equal(readerFor(participant)?.key, cast.john.participant_id);
  for (const kind of ['admin', 'auditor', 'site', 'integration'] as const)
    t.equal(readerFor({ kind, name: 'x' }), null, kind);
  t.notOk(reader.isViewKey('systems'));
  t.ok(reader.isViewKey(cast.john.participant_id));
  t.notOk(reader.isViewKey('../x'));
});

t.test("the view of a commit whose parent's view is unknown is refused, not guessed", async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  const builder = new project.ViewBuilder(john, h.source, {
    viewOf: async () => undefined,
    isAncestor: async () => false,
  });
  await t.rejects(builder.add(h.head), { name: 'MissingView' });
  const at = h.commits[0] as Oid;
  t.equal(await builder.add(at), at);
});

t.test("the builder's memos stay within their bytes on a record with many threads", async (t) => {
  // Each root tree's thread folders are kept as a map; with 300 threads, one a commit, the maps of
  // every commit would take about 11 MB, over the folder memo's 8 MiB. The least recently used go.
  const h = new History();
  for (let n = 1; n <= 300; n++) h.createThread(n, n % 2 ? ['jane', 'john'] : ['jane', 'tom']);
  const views = new MemoryViews(h, john);
  const tree = async (oid: Oid) => parseTree((await views.source.read(oid))!.content)!;
  const last = await views.commit(await views.of());
  const comms = (await tree(last.tree)).find((e) => e.name === 'communications')!;
  t.equal((await tree(comms.oid)).length, 150, "john's view holds his 150 threads");
  const { commits, folders, shown } = views.builder.memoBytes;
  const MiB = 1024 * 1024;
  t.ok(folders <= 8 * MiB, `the folder memo holds ${folders} bytes, within its 8 MiB`);
  t.ok(folders > 7 * MiB, 'and is full: the bound, not a miss, keeps it there');
  t.ok(commits > 0 && commits <= 4 * MiB, `parsed commits: ${commits} bytes, within 4 MiB`);
  t.ok(shown > 0 && shown <= 8 * MiB, `what john sees: ${shown} bytes, within 8 MiB`);
});
