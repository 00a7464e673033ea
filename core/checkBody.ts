// A JSON request body checked against its schema (schemas/api/, compiled ahead of time into
// core/generated/apiValidators.ts). The sentence of the 400 is the schema's `refusal` annotation
// (core/refusal.ts) of lowest rank: the rank is the order the old hand-written checks ran in.

import type { ErrorObject, ValidateFunction } from 'ajv';
import { InvalidInput } from './errors.js';
import { refusals, sentence, type Refusal } from './refusal.js';
import { describeSchemaErrors } from './schemaErrors.js';

/**
 * The first fault of a body that failed its schema, by rank alone (a body has no list order to
 * keep). A `{found}` in its text lists every name refused there, as the API always named them:
 * quoted, each cut at 40 characters, the first 5 and how many more.
 */
export function firstFault(schema: object, errors: ErrorObject[] | null | undefined): Refusal {
  const all = refusals(schema, errors).sort((a, b) => a.rank - b.rank);
  const first = all[0];
  // A fault the schema names no sentence for is a gap in the schema; ajv's words beat a silent pass.
  if (!first) return { instancePath: '', rank: Infinity, text: describeSchemaErrors(errors).join('; ') };
  if (first.found === undefined) return first;
  const names = [
    ...new Set(
      all
        .filter((r) => r.text === first.text && r.instancePath === first.instancePath && r.found !== undefined)
        .map((r) => r.found),
    ),
  ];
  const listed = names
    .slice(0, 5)
    .map((k = '') => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k))
    .join(', ');
  return { ...first, found: `${listed}${names.length > 5 ? ` and ${names.length - 5} more` : ''}` };
}

/** The body as its type when it is valid; else refused (InvalidInput, 400) with its first fault. */
export function checkBody<T>(validate: ValidateFunction<T>, schema: object, body: unknown): T {
  if (validate(body)) return body;
  throw new InvalidInput(sentence(firstFault(schema, validate.errors)));
}

/** A field of a value not yet known valid (undefined when it is not a JSON object or has none). */
export function fieldIn(value: unknown, name: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value) ? Reflect.get(value, name) : undefined;
}
