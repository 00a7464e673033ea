import t from 'tap';
import { EvaluationCache, evaluateCommit } from '../../core/evaluate.js';
import { formatFinding } from '../../core/findings.js';
import { bindings, cases, principalFor } from '../corpus/cases.js';
import { baseRecord, playCase, RECORD } from '../corpus/memory.js';

t.test('the base record keeps every rule, from its first commit', async (t) => {
  const { source, root, head } = baseRecord();
  t.same(await evaluateCommit(source, root, { recordId: RECORD, allowRoot: true, now: Date.now() }), []);
  t.same(await evaluateCommit(source, head, { recordId: RECORD, now: Date.now() }), []);
  t.match(
    await evaluateCommit(source, root, { recordId: RECORD }),
    [{ rule: 'ccr/commit-parents' }],
    'a root is refused unless expected',
  );
});

for (const c of cases) {
  t.test(c.name, async (t) => {
    const { source, head, snapshot } = baseRecord();
    const commits = playCase(source, head, snapshot, c);
    const cache = new EvaluationCache();
    const verdicts = [];
    for (const oid of commits)
      verdicts.push(
        await evaluateCommit(source, oid, {
          recordId: RECORD,
          now: Date.now(),
          principal: principalFor(c.as),
          bindings,
          cache,
          mergeBase: source.mergeBase,
        }),
      );
    const refused = verdicts.findIndex((v) => v.some((f) => f.severity === 'error'));
    if (c.expect === null) {
      t.equal(refused, -1, `accepted: ${verdicts.flat().map(formatFinding).join(' | ')}`);
      return;
    }
    t.not(refused, -1, 'refused');
    const findings = verdicts[refused] ?? [];
    t.ok(
      findings.some((f) => f.rule === c.expect),
      `refused with ${c.expect}: ${findings.map(formatFinding).join(' | ')}`,
    );
    t.ok(
      findings.every((f) => f.message.startsWith('expected') && f.commit === commits[refused]),
      'every finding says what was expected and names the commit',
    );
  });
}
