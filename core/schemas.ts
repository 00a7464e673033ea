// The JSON Schemas of schemas/, compiled once with ajv and tied to their TypeScript types.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import statusSchema from '../schemas/coordination-status.schema.json' with { type: 'json' };
import ledgerSchema from '../schemas/ledger.schema.json' with { type: 'json' };
import type { CoordinationStatus } from './status.js';
import type { Ledger } from './ledger.js';

const ajv = new Ajv({ allErrors: true, strict: true });

/** Validates a value read from ledger.yaml; a type guard for `Ledger`. */
export const validateLedger: ValidateFunction<Ledger> = ajv.compile<Ledger>(ledgerSchema);
/** Validates a value read from COORDINATION_STATUS.yaml; a type guard for `CoordinationStatus`. */
export const validateStatus: ValidateFunction<CoordinationStatus> = ajv.compile<CoordinationStatus>(statusSchema);

/** The schemas, for tests and documentation. */
export const schemas = { ledger: ledgerSchema, status: statusSchema } as const;

/** One sentence per schema error: where, and what was expected. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'the document';
    if (e.keyword === 'additionalProperties') return `expected no field \`${String(e.params['additionalProperty'])}\` in ${at}`;
    if (e.keyword === 'required') return `expected a field \`${String(e.params['missingProperty'])}\` in ${at}`;
    if (e.keyword === 'enum') return `expected ${at} to be one of ${(e.params['allowedValues'] as unknown[]).join(', ')}`;
    return `expected ${at} to ${e.message ?? 'be valid'}`;
  });
}
