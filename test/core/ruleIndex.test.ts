// The rule index (core/rules/index.ts) and its harness (core/rules/define.ts): every rule file has
// a case that shows it refusing, every rule runs in exactly one place of the order, and a rule's
// findings carry its own id, whatever its body passes.

import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { Finding } from '../../core/findings.js';
import { ruleIds } from '../../core/findings.js';
import { defineRule, type Where } from '../../core/rules/define.js';
import {
  commitPhases,
  pipelineIds,
  pushRules,
  readRules,
  refRules,
  ruleFiles,
  shapeRules,
  signatureRules,
  viewRules,
  walkRules,
  writeRules,
  historyRules,
} from '../../core/rules/index.js';
import { cases } from '../corpus/cases.js';
import { objectCases } from '../corpus/objects.js';
import { root } from '../helpers/fixtures.js';
import { slug } from '../helpers/golden.js';

/** Ids whose refusals no commit of the corpus can show (they judge ref lines, the pusher or a view push), and the test file that shows them. */
const shownElsewhere: Record<string, string> = {
  'ccr/ref-name': 'test/server/refs.test.ts',
  'ccr/ref-delete': 'test/server/refs.test.ts',
  'ccr/ref-create': 'test/server/refs.test.ts',
  'ccr/ref-fast-forward': 'test/server/refs.test.ts',
  'ccr/who-write': 'test/server/threadsApi.test.ts',
  'ccr/view-path': 'test/views/pushCases.ts',
  'ccr/view-exact': 'test/views/pushCases.ts',
  'ccr/commit-signature': 'test/server/signing.test.ts',
};

t.test('the index exports the rule files, the other ids, the phases and the derived ids', async (t) => {
  t.ok(Object.keys(ruleFiles).length > 0);
  t.same(
    Object.keys(ruleIds).sort(),
    [...Object.keys(ruleFiles), ...Object.keys(pipelineIds)].sort(),
    'ruleIds has a key for each entry of the index',
  );
  t.equal(new Set(Object.values(ruleIds)).size, Object.values(ruleIds).length, 'each id once');
});

t.test("every rule of a file carries the file's one id, under the file's key", async (t) => {
  for (const [key, rules] of Object.entries(ruleFiles)) {
    for (const rule of rules) t.equal(rule.id, ruleIds[key as keyof typeof ruleIds], `${key}: ${rule.id}`);
  }
});

t.test('every rule file of the index has a corpus case that names its id', async (t) => {
  const corpus = new Set<string | null>([...cases.map((c) => c.expect), ...objectCases.map((c) => c.expect)]);
  for (const [key, rules] of Object.entries(ruleFiles)) {
    const id = rules[0].id;
    const elsewhere = shownElsewhere[id];
    const text = elsewhere ? readFileSync(`${root}/${elsewhere}`, 'utf8') : '';
    if (elsewhere)
      t.ok(text.includes(id) || text.includes(`ruleIds.${key}`), `${id} is shown refusing in ${elsewhere}`);
    else t.ok(corpus.has(id), `${id} has a case in test/corpus/`);
  }
});

t.test('every declared rule runs in exactly one place of the order, and nothing else does', async (t) => {
  const declared = Object.values(ruleFiles).flat();
  const ordered = [
    ...pushRules,
    ...refRules,
    ...walkRules,
    ...readRules,
    ...shapeRules,
    ...viewRules,
    ...signatureRules,
    ...writeRules,
    ...historyRules,
    ...commitPhases.flatMap((p) => p.rules),
  ];
  for (const rule of declared) t.equal(ordered.filter((r) => r === rule).length, 1, `${rule.id} (${rule.scope}) once`);
  t.equal(ordered.length, declared.length, 'no rule is ordered that no file declares');
  for (const p of commitPhases) {
    const scopes = p.per === 'commit' ? ['commit'] : ['thread', 'ledger', 'message'];
    for (const r of p.rules) t.ok(scopes.includes(r.scope), `${r.id} (${r.scope}) fits a per-${p.per} phase`);
  }
});

t.test("the harness stamps the rule's own id and severity on every finding", async (t) => {
  const rule = defineRule({
    id: 'ccr/message-id',
    scope: 'push',
    check(_input, _ctx, report) {
      // A body that tries to report under another id, through a cast place, is still stamped.
      const forged = { rule: 'ccr/append-only', severity: 'warning', path: 'x', line: 3 } as Where;
      report('expected one thing, found another', forged);
      report('expected a second thing');
    },
  });
  const found: Finding[] = rule.run({ principal: { kind: 'admin', name: 'a' } }, {});
  t.same(found, [
    { rule: 'ccr/message-id', severity: 'error', message: 'expected one thing, found another', path: 'x', line: 3 },
    { rule: 'ccr/message-id', severity: 'error', message: 'expected a second thing' },
  ]);
  const warning = defineRule({
    id: 'ccr/commit-time',
    scope: 'push',
    severity: 'warning',
    check: (_i, _c, report) => report('expected less'),
  });
  t.same(warning.run({ principal: { kind: 'admin', name: 'a' } }, {}), [
    { rule: 'ccr/commit-time', severity: 'warning', message: 'expected less' },
  ]);
});

t.test('every corpus case pushed to a server has its golden remote: lines', async (t) => {
  for (const c of cases) t.ok(existsSync(`${root}/test/corpus/golden/${slug(c.name)}.txt`), c.name);
  for (const c of objectCases.filter((x) => !x.unpushable))
    t.ok(existsSync(`${root}/test/corpus/golden/objects/${slug(c.name)}.txt`), c.name);
});
