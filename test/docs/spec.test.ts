// docs/spec.md is the contract a second client is built from: its tables of rule ids and error
// codes must list exactly what the code has, and its examples must be the fixtures' bytes.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { errorClasses } from '../../core/errors.js';
import { ruleIds } from '../../core/findings.js';
import { root } from '../helpers/fixtures.js';

const spec = readFileSync(`${root}/docs/spec.md`, 'utf8');

/** The rows of the table between `<!-- name:begin -->` and `<!-- name:end -->`, as cells. */
function table(name: string): string[][] {
  const m = new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(spec);
  if (!m) throw new Error(`docs/spec.md has no ${name} table`);
  return m[1]!.trim().split('\n').slice(2).map((row) => row.split('|').slice(1, -1).map((c) => c.trim()));
}

/** What one list has that the other has not, both ways. */
function drift(documented: string[], inCode: string[]): { undocumented: string[]; notInCode: string[] } {
  return { undocumented: inCode.filter((x) => !documented.includes(x)), notInCode: documented.filter((x) => !inCode.includes(x)) };
}

t.test('the table of rule ids is exactly the rule ids of the code, each once and explained', async (t) => {
  const rows = table('rule-ids');
  const ids = rows.map((r) => r[0]!.replace(/`/g, ''));
  t.same(drift(ids, Object.values(ruleIds)), { undocumented: [], notInCode: [] },
    'add a row to the table in docs/spec.md section 8 for each rule id added to core/findings.ts (and remove the rows of rules removed)');
  t.equal(new Set(ids).size, ids.length, 'each rule id once');
  for (const r of rows) t.ok(r.length === 3 && r[1]!.length > 0 && r[2]!.length > 10, `${r[0]} says what it refuses`);
});

t.test('the table of error codes is exactly the error registry, with each code\'s HTTP status', async (t) => {
  const rows = table('error-codes');
  const codes = rows.map((r) => r[0]!.replace(/`/g, ''));
  t.same(drift(codes, Object.keys(errorClasses)), { undocumented: [], notInCode: [] },
    'add a row to the table in docs/spec.md section 9 for each error class added to core/errors.ts');
  for (const [code, status] of rows.map((r) => [r[0]!.replace(/`/g, ''), Number(r[1])] as const)) {
    const Class = (errorClasses as unknown as Record<string, new (m: string) => { status: number }>)[code];
    if (Class) t.equal(status, code === 'RuleViolation' ? 422 : new Class('x').status, `${code} is ${status}`);
  }
});

t.test('the examples of the formats are the bytes of the fixtures the tests read', async (t) => {
  const fence = (lang: string, n = 0) => [...spec.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))][n]?.[1];
  t.equal(fence('markdown'), readFileSync(`${root}/test/fixtures/spec-messages.md`, 'utf8'), 'the messages.md example');
  t.equal(fence('yaml', 0), readFileSync(`${root}/test/fixtures/spec-ledger.canonical.yaml`, 'utf8'), 'the ledger example, in canonical form');
  t.equal(fence('yaml', 1), readFileSync(`${root}/test/fixtures/spec-status.canonical.yaml`, 'utf8'), 'the status example, in canonical form');
});

t.test('the README points at the specification in the repository', async (t) => {
  const readme = readFileSync(`${root}/README.md`, 'utf8');
  t.match(readme, '[docs/spec.md](docs/spec.md)');
  t.notMatch(readme, /shared documents/, 'not at documents a reader of the repository does not have');
});
