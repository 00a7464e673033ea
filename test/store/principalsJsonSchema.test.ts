// schemas/principals-json.schema.json: the kinds and roles it allows are CCR's, and its validator
// compiled ahead of time reports the first error only, as the migration compiled it at run time.

import { Ajv } from 'ajv';
import t from 'tap';
import schema from '../../schemas/principals-json.schema.json' with { type: 'json' };
import { validatePrincipalsJson } from '../../core/generated/principalsJsonValidator.js';
import { principalKinds } from '../../core/principal.js';
import { roles } from '../../core/vocabulary.js';

t.test('the schema allows exactly the principal kinds and roles of core/', async (t) => {
  const entry = schema.properties.principals.items.properties;
  t.same(entry.kind.enum, [...principalKinds]);
  t.same(entry.role.enum, [...roles]);
});

t.test('the generated validator judges as ajv compiling the schema at run time, first error only', async (t) => {
  const runtime = new Ajv({ strict: true, strictRequired: false }).compile(schema);
  for (const value of [
    { principals: [{ name: 'x', kind: 'participant', created_at: 'now' }] },
    { principals: [{ name: 'x', kind: 'root', created_at: 'now' }] },
    { principals: [{ name: 'x', kind: 'admin', salt: 'c2FsdA==', created_at: 'now' }] },
    { principals: [{ name: 'a', kind: 'admin', token_hash: 'hmac-sha256:x', created_at: 'now' }], version: 1 },
    { principals: 'none' },
    [],
  ]) {
    t.same(
      [validatePrincipalsJson(value), Reflect.get(validatePrincipalsJson, 'errors') ?? null],
      [runtime(value), runtime.errors ?? null],
      JSON.stringify(value),
    );
  }
});
