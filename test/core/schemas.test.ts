// The validators compiled ahead of time (core/generated/schemaValidators.ts) are current with
// schemas/ and judge exactly as ajv compiling the schemas at run time does.

import { deepStrictEqual } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import t from 'tap';
import { schemas, validateLedger, validateStatus } from '../../core/schemas.js';
import { fixtureText, root } from '../helpers/fixtures.js';

t.test('the generated validators are what scripts/schemas.mjs makes of schemas/ now', async (t) => {
  const r = spawnSync(process.execPath, [`${root}/scripts/schemas.mjs`, '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});

const ajv = new Ajv({ allErrors: true, strict: true });
const runtime = { ledger: ajv.compile(schemas.ledger), status: ajv.compile(schemas.status) };

/** The verdict and errors of a validator on a value. */
function judged(v: ValidateFunction, value: unknown): unknown {
  const ok = v(value);
  return { ok, errors: v.errors ?? null };
}

/** A value changed at one path: removed, replaced by another kind of value, or a field added. */
const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('delete', 'replace', 'add'),
  fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.constant({}),
  ),
);

function mutate(value: unknown, [pick, how, other]: [number, string, unknown]): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const holders: Array<Record<string, unknown>> = [];
  const walk = (v: unknown) => {
    if (v && typeof v === 'object') {
      holders.push(v as Record<string, unknown>);
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(copy);
  const holder = holders[pick % holders.length]!;
  const keys = Object.keys(holder);
  const key = keys[pick % Math.max(1, keys.length)] ?? 'extra';
  if (how === 'delete') delete holder[key];
  else if (how === 'replace') holder[key] = other;
  else holder[`x_${pick % 7}`] = other;
  return copy;
}

t.test('ahead of time and at run time, the same verdicts and the same errors', async (t) => {
  const cases: Array<[string, ValidateFunction, ValidateFunction, unknown]> = [
    ['ledger (SPEC)', validateLedger, runtime.ledger, JSON.parse(fixtureText('spec-ledger.json'))],
    ['ledger (seed)', validateLedger, runtime.ledger, JSON.parse(fixtureText('seed-ledger.json'))],
    ['status (SPEC)', validateStatus, runtime.status, JSON.parse(fixtureText('spec-status.json'))],
  ];
  for (const [name, generated, compiled, value] of cases) {
    t.same(judged(generated, value), { ok: true, errors: null }, `${name} is valid`);
    let refused = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (changes) => {
        const changed = changes.reduce((v, m) => mutate(v, m), value);
        const verdict = judged(generated, changed);
        deepStrictEqual(verdict, judged(compiled, changed));
        if (!(verdict as { ok: boolean }).ok) refused++;
      }),
      { numRuns: 300 },
    );
    t.ok(refused > 100, `${name}: ${refused} of 300 changed values refused alike, with the same errors`);
  }
});
