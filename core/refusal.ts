// The sentence a configuration file is refused with, read from its schema. A schema of schemas/
// may carry `refusal: { rank, text }` (an annotation, no validation): the text a reader names
// when that subschema fails (for a missing field, the field's own schema), and its rank among the
// faults of one item. Error texts users already know stay byte for byte, and live beside the rule
// they explain; ajv's own wording is only the fallback (docs/decisions.md, "Refusals of files").

import type { ErrorObject } from 'ajv';

/** A schema fault a reader can name: where (the value's JSON pointer), its rank, and the sentence. */
export interface Refusal {
  instancePath: string;
  rank: number;
  text: string;
  /** The name that is not allowed (a property name), for `{found}` in the text. */
  found?: string;
}

/** The annotation, if the value is one. */
function refusalIn(schema: unknown): { rank: number; text: string } | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const r: unknown = Reflect.get(schema, 'refusal');
  if (!r || typeof r !== 'object') return undefined;
  const rank: unknown = Reflect.get(r, 'rank');
  const text: unknown = Reflect.get(r, 'text');
  return typeof rank === 'number' && typeof text === 'string' ? { rank, text } : undefined;
}

/** The subschema at a JSON pointer fragment (`#/properties/a/items`) of a schema, or undefined. */
function at(schema: unknown, pointer: string[]): unknown {
  let node = schema;
  for (const seg of pointer) {
    if (!node || typeof node !== 'object') return undefined;
    node = Reflect.get(node, decodeURIComponent(seg).replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return node;
}

/**
 * The named faults among ajv's errors (validated with `allErrors`), in the order a reader reports
 * them: by the first array index in the value's path (items in file order, top-level faults last),
 * then by rank. Errors whose subschema names no refusal (an `if`, a failed branch) are left out.
 */
export function refusals(schema: object, errors: ErrorObject[] | null | undefined): Refusal[] {
  const found: Refusal[] = [];
  for (const e of errors ?? []) {
    const path = e.schemaPath
      .replace(/^#\/?/, '')
      .split('/')
      .filter((s) => s !== '');
    const parent = at(schema, path.slice(0, -1));
    const missing = e.keyword === 'required' ? String(e.params['missingProperty']) : undefined;
    // The keyword's own subschema first (a `propertyNames` schema), then a missing field's, then the parent.
    const named =
      refusalIn(at(schema, path)) ??
      (missing !== undefined ? refusalIn(at(parent, ['properties', missing])) : undefined) ??
      refusalIn(parent);
    const name: unknown = e.params['propertyName'] ?? e.propertyName ?? e.params['additionalProperty'];
    if (named)
      found.push({ instancePath: e.instancePath, ...named, ...(typeof name === 'string' ? { found: name } : {}) });
  }
  const index = (r: Refusal) => Number(/\/(\d+)(?:\/|$)/.exec(r.instancePath)?.[1] ?? Infinity);
  return found.sort((a, b) => index(a) - index(b) || a.rank - b.rank);
}

/** The text of a refusal with `{at}` (the value's path, dotted) and `{found}` filled in. */
export function sentence(r: Refusal): string {
  return r.text.replaceAll('{at}', r.instancePath.slice(1).replaceAll('/', '.')).replaceAll('{found}', r.found ?? '');
}
