// sync/decide.ts: a round's decision from (local, theirs, agreed, ancestry, findings), with no git.

import fc from 'fast-check';
import t from 'tap';
import * as decide from '../../sync/decide.js';
import { decideRound, type Decision, type Question, type RoundFacts } from '../../sync/decide.js';
import { error, ruleIds, type Finding } from '../../core/findings.js';
import { isOid, type Oid } from '../../core/objects.js';

/** A commit id made of one repeated hex digit (parsed, as every Oid is). */
function oid(digit: string): Oid {
  const s = digit.repeat(40);
  if (!isOid(s)) throw new Error(`not an oid: ${s}`);
  return s;
}

const [A, B, C, D] = [oid('a'), oid('b'), oid('c'), oid('d')];
const bad: Finding[] = [error(ruleIds.appendOnly, 'expected the earlier messages unchanged')];

/** Answer the questions from a table; the decision and the questions asked, in order. */
function run(
  facts: RoundFacts,
  answers: Omit<RoundFacts, 'local' | 'theirs' | 'agreed'>,
): { decision: Decision; asked: Question[] } {
  const known: RoundFacts = { ...facts };
  const asked: Question[] = [];
  let d = decideRound(known);
  while (d.kind === 'ask') {
    if (asked.includes(d.question)) throw new Error(`asked ${d.question} twice`);
    asked.push(d.question);
    const answer = answers[d.question];
    if (answer === undefined) throw new Error(`no answer for ${d.question}`);
    Object.assign(known, { [d.question]: answer });
    d = decideRound(known);
  }
  return { decision: d, asked };
}

t.test('the module exports decideRound only (and its types)', async (t) => {
  t.same(Object.keys(decide).sort(), ['decideRound']);
});

t.test('nothing new on either side, already agreed: in sync, nothing asked', async (t) => {
  t.same(run({ local: A, theirs: A, agreed: A }, {}), { decision: { kind: 'in-sync', agree: false }, asked: [] });
});

t.test('the same main on both sides, never agreed: in sync, and agreed from now on', async (t) => {
  t.same(run({ local: A, theirs: A, agreed: null }, {}), { decision: { kind: 'in-sync', agree: true }, asked: [] });
});

t.test('the same main on both sides past what was agreed: agreed after checking the peer kept it', async (t) => {
  t.same(run({ local: B, theirs: B, agreed: A }, { agreedInTheirs: true }), {
    decision: { kind: 'in-sync', agree: true },
    asked: ['agreedInTheirs'],
  });
});

t.test('only ours new: push', async (t) => {
  t.same(run({ local: B, theirs: A, agreed: A }, { theirsInLocal: true }), {
    decision: { kind: 'push' },
    asked: ['theirsInLocal'],
  });
});

t.test('only theirs new, judged good: fast-forward', async (t) => {
  t.same(
    run({ local: A, theirs: B, agreed: A }, { agreedInTheirs: true, theirsInLocal: false, base: A, findings: [] }),
    { decision: { kind: 'fast-forward' }, asked: ['agreedInTheirs', 'theirsInLocal', 'base', 'findings'] },
  );
});

t.test('both new, theirs judged good: merge on the base', async (t) => {
  t.same(
    run({ local: B, theirs: C, agreed: A }, { agreedInTheirs: true, theirsInLocal: false, base: A, findings: [] }),
    { decision: { kind: 'merge', base: A }, asked: ['agreedInTheirs', 'theirsInLocal', 'base', 'findings'] },
  );
});

t.test('theirs rewinds or forks away from what was agreed: refused as a rewrite, nothing else asked', async (t) => {
  t.same(run({ local: B, theirs: C, agreed: D }, { agreedInTheirs: false }), {
    decision: { kind: 'refused-rewrite', agreed: D },
    asked: ['agreedInTheirs'],
  });
  t.same(
    run({ local: A, theirs: A, agreed: D }, { agreedInTheirs: false }).decision,
    { kind: 'refused-rewrite', agreed: D },
    'even when both mains are the same',
  );
});

t.test('theirs at exactly what was agreed is not a rewrite (no question asked about it)', async (t) => {
  t.same(run({ local: B, theirs: A, agreed: A }, { theirsInLocal: true }).asked, ['theirsInLocal']);
});

t.test('histories with no common commit: refused as unrelated, never judged', async (t) => {
  t.same(run({ local: A, theirs: B, agreed: null }, { theirsInLocal: false, base: null }), {
    decision: { kind: 'refused-unrelated' },
    asked: ['theirsInLocal', 'base'],
  });
});

t.test('theirs refused by the rules: refused as invalid, with the findings', async (t) => {
  t.same(run({ local: B, theirs: C, agreed: null }, { theirsInLocal: false, base: A, findings: bad }), {
    decision: { kind: 'refused-invalid', findings: bad },
    asked: ['theirsInLocal', 'base', 'findings'],
  });
});

/**
 * A random history: commit i has parents among commits before it (none for a root), so any two
 * commits may be ancestor, descendant, forked or unrelated.
 */
const history = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.tuple(
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.subarray(
          Array.from({ length: i }, (_, j) => j),
          { maxLength: Math.min(2, i) },
        ),
      ),
    ),
    fc.nat(n - 1),
    fc.nat(n - 1),
    fc.option(fc.nat(n - 1)),
    fc.boolean(),
  ),
);

t.test('over random histories: each question once, and no move the history does not allow', async (t) => {
  const ids = '0123456789'.split('').map(oid);
  fc.assert(
    fc.property(history, ([parents, l, th, ag, refuse]) => {
      const ancestors = (i: number): Set<number> => new Set([i, ...parents[i]!.flatMap((p) => [...ancestors(p)])]);
      const isAncestor = (a: number, b: number) => ancestors(b).has(a);
      const common = [...ancestors(l)].filter((c) => ancestors(th).has(c));
      const best = common.find((c) => common.every((o) => isAncestor(o, c))) ?? common[0];
      const facts: RoundFacts = { local: ids[l]!, theirs: ids[th]!, agreed: ag === null ? null : ids[ag]! };
      const { decision, asked } = run(facts, {
        agreedInTheirs: ag !== null && isAncestor(ag, th),
        theirsInLocal: isAncestor(th, l),
        base: best === undefined ? null : ids[best]!,
        findings: refuse ? bad : [],
      });
      const kept = ag === null || isAncestor(ag, th);
      if (!kept)
        return (
          decision.kind === 'refused-rewrite' ||
          (decision.kind === 'in-sync' && !decision.agree && l === th && ag === l)
        );
      if (decision.kind === 'push') return isAncestor(th, l) && l !== th;
      if (decision.kind === 'in-sync') return l === th;
      if (decision.kind === 'fast-forward') return isAncestor(l, th) && !refuse;
      if (decision.kind === 'merge')
        return !isAncestor(l, th) && !isAncestor(th, l) && !refuse && asked.includes('findings');
      if (decision.kind === 'refused-invalid') return refuse && !isAncestor(th, l);
      if (decision.kind === 'refused-unrelated') return common.length === 0;
      return false;
    }),
    { numRuns: 500 },
  );
});
