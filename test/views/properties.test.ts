// Properties of views over generated histories (fast-check): threads created, written to, people
// removed and added again, threads restricted, record status changed, and sync merges of side
// branches built by the project's own merge code. Checked for a patient, a clinician, the systems'
// view and a reader who sees everything. CCR_FUZZ_RUNS raises the number of runs.

import fc from 'fast-check';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { ViewBuilder, ancestryBySource } from '../../core/views/project.js';
import { everythingReader, participantReader, type ViewReader } from '../../core/views/reader.js';
import { translatePush } from '../../core/views/translate.js';
import { Clone, History, MemoryViews, cast, layered, markersIn, systemsReader, threadId, type Who } from './history.js';
import { append } from './pushCases.js';

const runs = Math.max(60, Math.floor(Number(process.env['CCR_FUZZ_RUNS'] ?? 2000) / 20));
const names = Object.keys(cast) as Who[];
/** More threads than any generated history creates. */
const MAX_THREADS = 160;

/** One step of a generated history; numbers pick among what exists when the step is played. */
type Op =
  | { op: 'create'; who: Who[]; restricted: boolean }
  | { op: 'say' | 'remove' | 'add'; thread: number; who: number }
  | { op: 'restrict'; thread: number; restricted: boolean }
  | { op: 'status' }
  | { op: 'merge'; back: number; side: Op[] };

const who = fc.subarray(names, { minLength: 1 });
const simple: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('create' as const), who, restricted: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('say' as const), thread: fc.nat(), who: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), thread: fc.nat(), who: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), thread: fc.nat(), who: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('restrict' as const), thread: fc.nat(), restricted: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('status' as const) }) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 9, arbitrary: simple },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('merge' as const),
      back: fc.integer({ min: 1, max: 6 }),
      side: fc.array(simple, { minLength: 1, maxLength: 4 }),
    }),
  },
);
const ops = fc.array(op, { minLength: 1, maxLength: 30 });
const readers: Array<[string, ViewReader]> = [
  ['john (patient)', participantReader(cast.john.participant_id)],
  ['tom (clinician)', participantReader(cast.tom.participant_id)],
  ['systems', systemsReader],
];

/** Play generated steps; gives the history and every value `main` took, in order. */
async function play(steps: Op[]): Promise<{ h: History; heads: Oid[] }> {
  const h = new History();
  const heads = [h.head];
  let created = 0;
  const threadsAt = (at: Oid) => Array.from({ length: created }, (_, i) => i + 1).filter((n) => h.ledger(n, at));
  const apply = (s: Op, on: Oid): Oid => {
    const threads = threadsAt(on);
    if (s.op === 'create') return h.createThread(++created, s.who, { restricted: s.restricted, on });
    if (s.op === 'status')
      return h.status(
        (x) =>
          x.replace(
            /record_queryable: (true|false)/,
            (_m, v) => `record_queryable: ${v === 'true' ? 'false' : 'true'}`,
          ),
        on,
      );
    if (s.op === 'merge' || threads.length === 0) return on;
    const n = threads[s.thread % threads.length]!;
    const people = h
      .ledger(n, on)!
      .participants.map((p) => names.find((w) => cast[w].participant_id === p.participant_id)!);
    const speaker = people[0]!;
    if (s.op === 'say') return h.say(n, people[s.who % people.length]!, on);
    if (s.op === 'restrict') return h.restrict(n, s.restricted, speaker, on);
    if (s.op === 'remove')
      return people.length > 1 ? h.remove(n, people[1 + (s.who % (people.length - 1))]!, speaker, on) : on;
    const absent = names.filter((w) => !people.includes(w));
    return absent.length > 0 ? h.add(n, absent[s.who % absent.length]!, speaker, on) : on;
  };
  for (const s of steps) {
    if (s.op === 'merge') {
      let base = h.head;
      for (let i = 0; i < s.back && h.parents(base).length > 0; i++) base = h.parents(base)[0]!;
      let side = base;
      for (const x of s.side) side = apply(x, side);
      if (side !== base && side !== h.head) await h.merge(side);
    } else apply(s, h.head);
    if (h.head !== heads[heads.length - 1]) heads.push(h.head);
  }
  return { h, heads };
}

/** The markers a reader may read, by the rule itself, commit by commit (no incremental state). */
function allowed(h: History, reader: ViewReader): { markers: Set<string>; threads: Set<string> } {
  const markers = new Set<string>();
  const threads = new Set<string>();
  for (const c of h.commits) {
    const parents = h.parents(c);
    for (let n = 1; n <= MAX_THREADS; n++) {
      const ledger = h.ledger(n, c);
      if (!ledger) continue;
      const before = parents.length === 1 ? h.ledger(n, parents[0]) : undefined;
      if (reader.sees(ledger) || (before && reader.sees(before))) {
        threads.add(threadId(n));
        for (const m of markersIn(h.at(c).text(`communications/${threadId(n)}/messages.md`))) markers.add(m);
      }
    }
  }
  return { markers, threads };
}

t.test('two builds of a view give the same commits, and so does a build resumed from the stored map', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom(...readers), fc.nat(), async (steps, [, reader], cut) => {
      const { h } = await play(steps);
      const a = new MemoryViews(h, reader);
      const b = new MemoryViews(h, reader);
      await a.of(h.head);
      await b.of(h.head);
      for (const c of h.commits) if (a.builder.views.get(c) !== b.builder.views.get(c)) return false;
      // Resume: a new builder that knows only the views of a prefix, as from the durable map.
      const at = cut % h.commits.length;
      const known = new Map(h.commits.slice(0, at + 1).map((c) => [c, a.builder.views.get(c)!]));
      const resumed = new ViewBuilder(reader, a.source, {
        viewOf: async (q) => known.get(q),
        isAncestor: ancestryBySource(a.source),
      });
      for (const c of h.commits.slice(at + 1)) if ((await resumed.add(c)) !== a.builder.views.get(c)) return false;
      return true;
    }),
    { numRuns: runs },
  );
});

t.test('a view only grows: each value of main has a view that descends from the last one', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom(...readers), async (steps, [, reader]) => {
      const { h, heads } = await play(steps);
      const views = new MemoryViews(h, reader);
      const isAncestor = ancestryBySource(views.source);
      for (let i = 1; i < heads.length; i++) {
        if (!(await isAncestor(await views.of(heads[i - 1]), await views.of(heads[i])))) return false;
      }
      return true;
    }),
    { numRuns: runs },
  );
});

t.test('commits that change nothing visible are not in a view', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom(...readers), async (steps, [, reader]) => {
      const { h } = await play(steps);
      const views = new MemoryViews(h, reader);
      const tip = await views.of(h.head);
      const isAncestor = ancestryBySource(views.source);
      for (const [oid, o] of await views.reachable(tip)) {
        if (o.type !== 'commit') continue;
        const c = await views.commit(oid);
        if (c.parents.length === 1 && (await views.commit(c.parents[0]!)).tree === c.tree) return false;
        if (
          c.parents.length === 2 &&
          ((await isAncestor(c.parents[0]!, c.parents[1]!)) || (await isAncestor(c.parents[1]!, c.parents[0]!)))
        )
          return false;
      }
      // And a single-parent commit whose projection equals its parent's is its parent's view.
      for (const c of h.commits) {
        const parents = h.parents(c);
        if (parents.length !== 1) continue;
        const [v, p] = [views.builder.views.get(c)!, views.builder.views.get(parents[0]!)!];
        if (v !== p && (await views.commit(v)).tree === (await views.commit(p)).tree) return false;
      }
      return true;
    }),
    { numRuns: runs },
  );
});

t.test('the view of a reader who sees everything is main itself', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, async (steps) => {
      const { h } = await play(steps);
      const views = new MemoryViews(h, everythingReader);
      await views.of(h.head);
      return h.commits.every((c) => views.builder.views.get(c) === c) && views.store.objects.size === 0;
    }),
    { numRuns: runs },
  );
});

t.test('no object reachable from a view holds a byte of a hidden thread, none it may see missing', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom(...readers), async (steps, [, reader]) => {
      const { h } = await play(steps);
      const views = new MemoryViews(h, reader);
      const tip = await views.of(h.head);
      const expected = allowed(h, reader);
      const texts = [...(await views.reachable(tip)).values()].map((o) => Buffer.from(o.content).toString('latin1'));
      const seen = new Set(texts.flatMap((x) => [...markersIn(x)]));
      const same = seen.size === expected.markers.size && [...seen].every((m) => expected.markers.has(m));
      if (!same) return false;
      const all = texts.join('\n');
      for (let n = 1; n <= MAX_THREADS; n++) {
        const id = threadId(n);
        if (!expected.threads.has(id) && all.includes(id)) return false;
      }
      return true;
    }),
    { numRuns: runs },
  );
});

t.test('a push from a view lands on a main moved out of sight; its view is the pushed commit', async (t) => {
  await fc.assert(
    fc.asyncProperty(ops, fc.constantFrom<Who>('john', 'tom'), fc.nat(), async (steps, who, pick) => {
      const { h } = await play(steps);
      const id = cast[who].participant_id;
      const takesPart = (n: number) => h.ledger(n)?.participants.some((p) => p.participant_id === id);
      const threads = Array.from({ length: MAX_THREADS }, (_, i) => i + 1).filter((n) => h.ledger(n));
      const mine = threads.filter((n) => takesPart(n));
      if (mine.length === 0) return true;
      const reader = participantReader(cast[who].participant_id);
      const views = new MemoryViews(h, reader);
      const fetched = await views.of(h.head);
      const others = threads.filter((n) => !takesPart(n));
      if (others.length > 0) {
        const n = others[pick % others.length]!;
        const writer = names.find((w) => cast[w].participant_id === h.ledger(n)!.participants[0]!.participant_id)!;
        h.say(n, writer);
      }
      const view = await views.of(h.head);
      if (view !== fetched) return false;
      const clone = new Clone(views, who);
      const tip = clone.commit(append(mine[pick % mine.length]!, h.message(who))(clone.snapshot(fetched)), [fetched]);
      const tr = await translatePush({
        source: layered(h.source, views.store, clone.pushed),
        reader,
        main: h.head,
        view,
        old: fetched,
        tip,
      });
      return tr.findings.length === 0 && tr.commits.length === 1 && tr.commits[0]!.view === tip;
    }),
    { numRuns: runs },
  );
});
