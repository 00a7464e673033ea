// The body of POST /api/records/<id>/threads (schemas/api/thread.schema.json, compiled ahead of time).

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/apiValidators.js';
import threadBodySchema from '../../schemas/api/thread.schema.json' with { type: 'json' };

/** A new thread as sent; participants are the service's to check, author_id the ledger's. */
export interface ThreadBody {
  participants?: unknown;
  message?: { body: string; author_id?: unknown };
  care_location?: string;
}

/** Validates a request body; a type guard for `ThreadBody` (the generated code is untyped). */
export const validateThreadBody = generated.validateThreadBody as ValidateFunction<ThreadBody>;

/** The schema itself, for the refusal sentences it carries. */
export { threadBodySchema };
