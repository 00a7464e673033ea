// Translation of pushes from a view onto main (SPEC 12): every case of test/views/pushCases.ts,
// the rules judging what was translated as if pushed to main by the same principal, exactness
// (the view of the new main is the pushed commit), and signatures made in a view.

import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { EvaluationCache, evaluateCommit } from '../../core/evaluate.js';
import type { Finding } from '../../core/findings.js';
import { parseCommit, type Oid } from '../../core/objects.js';
import type { Principal } from '../../core/principal.js';
import { readTree, type ObjectSource } from '../../core/source.js';
import { signCommit, verifyCommitSignature } from '../../core/ssh/commitSignature.js';
import { VIEW_SIGNATURE_HEADER } from '../../core/views/project.js';
import { participantReader } from '../../core/views/reader.js';
import * as translate from '../../core/views/translate.js';
import { translatePush, type Translation } from '../../core/views/translate.js';
import { Clone, History, MemoryViews, RECORD, cast, layered, threadId } from './history.js';
import { append, viewPushCases, type ViewPushCase, type ViewPusher } from './pushCases.js';

const NOW = Date.UTC(2026, 0, 20);

/** The scene of the cases, up to the pusher's fetch. */
function scene(): History {
  const h = new History();
  h.createThread(1, ['jane', 'john', 'tom']);
  h.say(1, 'john');
  h.createThread(2, ['jane', 'tom']);
  h.say(2, 'tom');
  h.createThread(3, ['jane', 'john']);
  h.say(3, 'john');
  h.remove(3, 'john', 'jane');
  h.say(3, 'jane');
  return h;
}

const principal = (who: ViewPusher): Principal => ({
  kind: 'participant',
  name: who,
  participantId: cast[who].participant_id,
  role: cast[who].role,
  displayName: cast[who].display_name,
});

/** What playing a case gives. */
interface Played {
  h: History;
  before: Oid;
  translation: Translation;
  rules: Finding[];
  tip: Oid;
  source: ObjectSource;
  views: MemoryViews;
}

/** Play a case: fetch, main moves out of sight (and in sight for `stale`), commit, translate, judge. */
async function play(c: ViewPushCase): Promise<Played> {
  const h = scene();
  const reader = participantReader(cast[c.as].participant_id);
  const views = new MemoryViews(h, reader);
  const fetched = await views.of(h.head);
  if (c.as === 'john') h.say(2, 'tom');
  else h.say(3, 'jane');
  if (c.shape === 'stale') h.say(1, 'jane');
  const before = h.head;
  const view = await views.of(h.head);
  const clone = new Clone(views, c.as);
  let tip = fetched;
  for (const step of c.steps) tip = clone.commit(step.change(clone.snapshot(tip)), [tip], step.message, step.headers);
  if (c.shape === 'merge') {
    const other = clone.commit(append(1, { ...h.message('john'), body: 'The other line.' })(clone.snapshot(fetched)), [
      fetched,
    ]);
    tip = clone.commit(clone.snapshot(tip), [tip, other]);
  }
  const source = layered(h.source, views.store, clone.pushed);
  const translation = await translatePush({ source, reader, main: h.head, view, old: fetched, tip });
  const rules: Finding[] = [];
  if (translation.findings.length === 0) {
    const judged = layered(source, {
      read: (async (oid: Oid) => translation.objects.get(oid) ?? null) as ObjectSource['read'],
    });
    const cache = new EvaluationCache();
    for (const { main } of translation.commits)
      rules.push(
        ...(await evaluateCommit(judged, main, { recordId: RECORD, now: NOW, principal: principal(c.as), cache })),
      );
  }
  return { h, before, translation, rules, tip, source, views };
}

t.test('the public surface of the translation', async (t) => {
  t.same(Object.keys(translate).sort(), ['translatePush']);
});

for (const c of viewPushCases) {
  const expect =
    c.expect === null
      ? 'is accepted'
      : 'translation' in c.expect
        ? `is not translated (${c.expect.translation})`
        : `is refused by the rules (${c.expect.rules})`;
  t.test(`a push from a view that ${c.name} ${expect}`, async (t) => {
    const { h, before, translation, rules } = await play(c);
    const refused = [...translation.findings, ...rules.filter((f) => f.severity === 'error')];
    if (c.expect === null) {
      t.same(refused, [], 'nothing refused');
      t.equal(translation.commits.length, c.steps.length, 'one main commit per pushed commit');
      const hiddenFrom = c.as === 'john' ? 2 : 3;
      const last = translation.commits[translation.commits.length - 1]!.main;
      const objects = layered(h.source, {
        read: (async (oid: Oid) => translation.objects.get(oid) ?? null) as ObjectSource['read'],
      });
      const folder = async (commit: Oid) => {
        const root = await readTree(objects, parseCommit((await objects.read(commit))!.content)!.tree);
        const comms = await readTree(objects, root.find((e) => e.name === 'communications')!.oid);
        return comms.find((e) => e.name === threadId(hiddenFrom))?.oid;
      };
      t.equal(await folder(last), await folder(before), 'the thread out of sight is untouched');
      return;
    }
    if ('translation' in c.expect) {
      t.same(
        translation.findings.map((f) => f.rule),
        [c.expect.translation],
      );
      t.match(translation.findings[0]!.message, /^expected /, 'says what was expected');
    } else {
      t.same(translation.findings, [], 'translated');
      t.ok(
        rules.some((f) => f.rule === (c.expect as { rules: string }).rules),
        `refused by ${c.expect.rules}: ${JSON.stringify(rules.map((f) => f.rule))}`,
      );
    }
  });
}

t.test("a translated commit has the pushed commit's author, committer and message, on the current main", async (t) => {
  const { h, before, translation, tip, source } = await play(viewPushCases[0]!);
  const [pushed, made] = [
    parseCommit((await source.read(tip))!.content)!,
    parseCommit(translation.objects.get(translation.commits[0]!.main)!.content)!,
  ];
  t.same(
    [made.author, made.committer, made.message, made.parents],
    [pushed.author, pushed.committer, pushed.message, [before]],
  );
  t.equal(before, h.head);
  t.ok(translation.copy.length > 0, 'the new thread folder and its files are to be copied into the record');
});

t.test('a push from a reader who sees everything lands as the pushed commits themselves', async (t) => {
  const h = new History();
  h.createThread(1, ['jane', 'john']);
  const reader = participantReader(cast.john.participant_id);
  const views = new MemoryViews(h, reader);
  const fetched = await views.of(h.head);
  t.equal(fetched, h.head);
  const clone = new Clone(views, 'john');
  const tip = clone.commit(append(1, h.message('john'))(clone.snapshot(fetched)), [fetched]);
  const tr = await translatePush({
    source: layered(h.source, clone.pushed),
    reader,
    main: h.head,
    view: fetched,
    old: fetched,
    tip,
  });
  t.same(tr.findings, []);
  t.same(tr.commits, [{ view: tip, main: tip }]);
  t.ok(tr.copy.includes(tip));
});

t.test('a commit signed in a view is signed in the view again after translation, and verifies', async (t) => {
  const h = scene();
  const reader = participantReader(cast.john.participant_id);
  const views = new MemoryViews(h, reader);
  const fetched = await views.of(h.head);
  h.say(2, 'tom');
  const clone = new Clone(views, 'john');
  const unsigned = clone.commit(append(1, h.message('john'))(clone.snapshot(fetched)), [fetched]);
  const { privateKey } = generateKeyPairSync('ed25519');
  const signedBytes = signCommit(clone.pushed.objects.get(unsigned)!.content, privateKey);
  const signed = clone.pushed.put('commit', signedBytes);
  t.ok(verifyCommitSignature(signedBytes).ok);
  const source = layered(h.source, views.store, clone.pushed);
  const tr = await translatePush({
    source,
    reader,
    main: h.head,
    view: await views.of(h.head),
    old: fetched,
    tip: signed,
  });
  t.same(tr.findings, [], 'exact: the view of the translated commit is the signed commit');
  const main = tr.commits[0]!.main;
  const made = parseCommit(tr.objects.get(main)!.content)!;
  t.equal(made.extra[0]![0], VIEW_SIGNATURE_HEADER);
  t.match(made.extra[0]![1], new RegExp(`^${cast.john.participant_id}\\n-----BEGIN SSH SIGNATURE-----`));
  // From main alone: record the translated commit and project it again.
  for (const [oid, o] of tr.objects) h.source.objects.set(oid, o);
  for (const oid of tr.copy)
    if (clone.pushed.objects.has(oid)) h.source.objects.set(oid, clone.pushed.objects.get(oid)!);
  h.commits.push(main);
  h.snapshots.set(main, h.at(h.head));
  const again = new MemoryViews(h, reader);
  t.equal(await again.of(main), signed, "john's view of main holds his signed commit, byte for byte");
  t.ok(verifyCommitSignature(again.store.objects.get(signed)!.content).ok, 'and it verifies');
  const tom = new MemoryViews(h, participantReader(cast.tom.participant_id));
  const toms = parseCommit((await tom.source.read(await tom.of(main)))!.content)!;
  t.same(toms.extra, [], "another reader's view carries no signature: it would not verify over that tree");
  const jane = new MemoryViews(h, participantReader(cast.jane.participant_id));
  t.equal(
    await jane.of(main),
    main,
    "a reader who sees everything reads main, the header that keeps john's signature included",
  );
});
