// The JSON Schemas of schemas/, tied to their TypeScript types. Their validators are compiled by
// ajv ahead of time (core/generated/schemaValidators.ts, made by scripts/schemas.mjs), so nothing
// that reads a record loads ajv or compiles a schema at start.

import type { ErrorObject, ValidateFunction } from 'ajv';
import * as generated from './generated/schemaValidators.js';
import statusSchema from '../schemas/coordination-status.schema.json' with { type: 'json' };
import ledgerSchema from '../schemas/ledger.schema.json' with { type: 'json' };
import type { CoordinationStatus } from './status.js';
import type { Ledger } from './ledger.js';

/** Validates a value read from ledger.yaml; a type guard for `Ledger`. */
export const validateLedger = generated.validateLedger as ValidateFunction<Ledger>;
/** Validates a value read from COORDINATION_STATUS.yaml; a type guard for `CoordinationStatus`. */
export const validateStatus = generated.validateStatus as ValidateFunction<CoordinationStatus>;

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
