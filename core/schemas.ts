// The JSON Schemas of schemas/ in one place, for tests, documentation and the callers that want all
// of them. Each schema lives with its type (core/ledgerSchema.ts, core/statusSchema.ts); their
// validators are compiled by ajv ahead of time (core/generated/, made by scripts/schemas.mjs), so
// nothing that reads a record loads ajv or compiles a schema at start.

import { ledgerSchema } from './ledgerSchema.js';
import { statusSchema } from './statusSchema.js';

export { validateLedger } from './ledgerSchema.js';
export { validateStatus } from './statusSchema.js';
export { describeSchemaErrors } from './schemaErrors.js';

/** The schemas, for tests and documentation. */
export const schemas = { ledger: ledgerSchema, status: statusSchema } as const;
