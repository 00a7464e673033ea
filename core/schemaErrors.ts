// Schema errors (ajv's) as sentences for a finding or an HTTP answer: where, and what was expected.

import type { ErrorObject } from 'ajv';

/** One sentence per schema error: where, and what was expected. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'the document';
    if (e.keyword === 'additionalProperties')
      return `expected no field \`${String(e.params['additionalProperty'])}\` in ${at}`;
    if (e.keyword === 'required') return `expected a field \`${String(e.params['missingProperty'])}\` in ${at}`;
    if (e.keyword === 'enum')
      return `expected ${at} to be one of ${(e.params['allowedValues'] as unknown[]).join(', ')}`;
    return `expected ${at} to ${e.message ?? 'be valid'}`;
  });
}
