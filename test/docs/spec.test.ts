// docs/spec.md is the contract a second client is built from: its tables of rule ids and error
// codes must list exactly what the code has, and its examples must be the fixtures' bytes.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { errorClasses } from '../../core/errors.js';
import { ruleIds } from '../../core/findings.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import type { Ledger } from '../../core/ledger.js';
import { mergeLedger, mergeMessages } from '../../core/merge.js';
import { appendMessages, parseMessages, renderMessages } from '../../core/messages/grammar.js';
import { baseLedger, first, msg } from '../corpus/record.js';
import { root } from '../helpers/fixtures.js';
import { jane, tom } from '../helpers/people.js';

const spec = readFileSync(`${root}/docs/spec.md`, 'utf8');

/** The rows of the table between `<!-- name:begin -->` and `<!-- name:end -->`, as cells. */
function table(name: string): string[][] {
  const m = new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(spec);
  if (!m) throw new Error(`docs/spec.md has no ${name} table`);
  return m[1]!
    .trim()
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

/** What one list has that the other has not, both ways. */
function drift(documented: string[], inCode: string[]): { undocumented: string[]; notInCode: string[] } {
  return {
    undocumented: inCode.filter((x) => !documented.includes(x)),
    notInCode: documented.filter((x) => !inCode.includes(x)),
  };
}

t.test('the table of rule ids is exactly the rule ids of the code, each once and explained', async (t) => {
  const rows = table('rule-ids');
  const ids = rows.map((r) => r[0]!.replace(/`/g, ''));
  t.same(
    drift(ids, Object.values(ruleIds)),
    { undocumented: [], notInCode: [] },
    'add a row to the table in docs/spec.md section 8 for each rule id added to core/findings.ts (and remove the rows of rules removed)',
  );
  t.equal(new Set(ids).size, ids.length, 'each rule id once');
  for (const r of rows) t.ok(r.length === 3 && r[1]!.length > 0 && r[2]!.length > 10, `${r[0]} says what it refuses`);
});

t.test("the table of error codes is exactly the error registry, with each code's HTTP status", async (t) => {
  const rows = table('error-codes');
  const codes = rows.map((r) => r[0]!.replace(/`/g, ''));
  t.same(
    drift(codes, Object.keys(errorClasses)),
    { undocumented: [], notInCode: [] },
    'add a row to the table in docs/spec.md section 9 for each error class added to core/errors.ts',
  );
  for (const [code, status] of rows.map((r) => [r[0]!.replace(/`/g, ''), Number(r[1])] as const)) {
    const Class = (errorClasses as unknown as Record<string, new (m: string) => { status: number }>)[code];
    if (Class) t.equal(status, code === 'RuleViolation' ? 422 : new Class('x').status, `${code} is ${status}`);
  }
});

t.test('the examples of the formats are the bytes of the fixtures the tests read', async (t) => {
  const fence = (lang: string, n = 0) =>
    [...spec.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))][n]?.[1];
  t.equal(fence('markdown'), readFileSync(`${root}/test/fixtures/spec-messages.md`, 'utf8'), 'the messages.md example');
  t.equal(
    fence('yaml', 0),
    readFileSync(`${root}/test/fixtures/spec-ledger.canonical.yaml`, 'utf8'),
    'the ledger example, in canonical form',
  );
  t.equal(
    fence('yaml', 1),
    readFileSync(`${root}/test/fixtures/spec-status.canonical.yaml`, 'utf8'),
    'the status example, in canonical form',
  );
});

t.test('the README points at the specification in the repository', async (t) => {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  t.match(readme, '[docs/spec.md](docs/spec.md)');
  t.notMatch(readme, /shared documents/, 'not at documents a reader of the repository does not have');
});

/** The issues whose parts the specification describes but this version does not build. */
const PLANNED_ISSUES = new Set<number>([]);

t.test("the README's command for a supervisor gives the server the node options npm start gives", async (t) => {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
    config: { serveNodeOptions: string };
    scripts: { start: string };
  };
  t.match(
    pkg.scripts.start,
    /MALLOC_ARENA_MAX=2 node \$npm_package_config_serveNodeOptions dist\/bundle\/ccr\.cjs serve/,
  );
  t.ok(
    readme.includes(`MALLOC_ARENA_MAX=2 node ${pkg.config.serveNodeOptions} dist/bundle/ccr.cjs serve`),
    'the README spells out the same options',
  );
});

t.test('the specification describes what is built; only parts still to come are marked planned', async (t) => {
  const stale = spec
    .split('\n')
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter((l) => /not (yet )?built|built yet|not (yet )?implemented|implemented yet/i.test(l.text));
  t.same(stale, [], 'describe what the code does now, or mark a part still to come "(planned: issue N)"');
  const marks = [...spec.matchAll(/planned: issues? ([\d, ]+)/gi)].flatMap((m) =>
    m[1]!.split(/[, ]+/).filter(Boolean).map(Number),
  );
  t.equal(
    marks.length > 0,
    PLANNED_ISSUES.size > 0,
    'the planned parts are marked, and only while some issue is planned',
  );
  const unnamed = spec
    .split('\n')
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter((l) => /\(planned(?!: issues? (\d|N\b))/i.test(l.text));
  t.same(unnamed, [], 'every planned mark names its issue, so that the issue that lands removes it');
  t.same(
    marks.filter((n) => !PLANNED_ISSUES.has(n)),
    [],
    'a planned part names an issue still to come (an issue that lands leaves PLANNED_ISSUES, its marks the spec)',
  );
});

/** Section 10 of the specification. */
function syncSection(): string {
  const m = /\n## 10\. [\s\S]*?(?=\n## 11\. )/.exec(spec);
  if (!m) throw new Error('docs/spec.md has no section 10');
  return m[0].replace(/\s+/g, ' ');
}

t.test('section 10 orders two messages with one id as the merge does', async (t) => {
  t.match(syncSection(), 'ordered by (timestamp, message id, block text)');
  t.match(syncSection(), 'block texts compare by UTF-16 code units');
  const base = renderMessages([first]);
  const side = (...bodies: Array<[string, string]>) =>
    appendMessages(
      base,
      bodies.map(([timestamp, body]) =>
        msg({
          id: 'aaaaaaaa-0000-4000-8000-000000000000' as MessageId,
          timestamp: timestamp as Timestamp,
          body,
        }),
      ),
    );
  const order = (a: string, b: string) => {
    const merged = mergeMessages(base, a, b);
    return merged.ok
      ? parseMessages(merged.value)
          .messages.slice(1)
          .map((m) => m.body)
      : merged.conflict;
  };
  const t1 = '2026-01-12T10:00:00.000Z';
  const t0 = '2026-01-12T09:00:00.000Z';
  t.same(order(side([t1, 'Zebra.']), side([t1, 'Apple.'])), ['Apple.', 'Zebra.'], 'one id and time: both, by text');
  t.same(order(side([t1, 'Apple.']), side([t0, 'Zebra.'])), ['Zebra.', 'Apple.'], 'same id: the timestamp first');
  // U+1F600 is D83D DE00 in UTF-16 (before U+FB01) but F0 9F 98 80 in UTF-8 (after EF AC 81).
  const [ligature, emoji] = ['\uFB01 ligature.', '\u{1F600} smile.'];
  t.same(
    order(side([t1, ligature]), side([t1, emoji])),
    [emoji, ligature],
    'texts compare by UTF-16 code units, not UTF-8 bytes',
  );
});

t.test("section 10 keeps participants when both sides' removals would leave none, as the merge does", async (t) => {
  t.match(
    syncSection(),
    'when the removals of the two sides together would leave no participant, the participants either side lists are',
  );
  const base: Ledger = { ...baseLedger, participants: [tom, jane] };
  const merged = mergeLedger(base, { ...base, participants: [tom] }, { ...base, participants: [jane] }, null);
  const ids = [jane, tom].map((p) => p.participant_id).sort();
  t.same(
    merged.participants.map((p) => p.participant_id),
    ids,
    'both kept, by id',
  );
});
