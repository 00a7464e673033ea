// The body of PATCH /api/records/<id>/threads/<thread> (schemas/api/thread-update.schema.json,
// compiled ahead of time).

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/apiValidators.js';
import threadUpdateBodySchema from '../../schemas/api/thread-update.schema.json' with { type: 'json' };
import type { ThreadStatus } from '../../core/vocabulary.js';

/** A change to a thread as sent; what the schema leaves open is checked by the service. */
export interface ThreadUpdateBody {
  participants?: { add?: unknown; remove?: string[] };
  status?: ThreadStatus;
  visibility?: { sensitivity?: unknown; restricted?: unknown };
  policies?: { allow_patient_participation?: unknown; allow_external_organisations?: unknown };
  author_id?: unknown;
  care_location?: string;
}

/** Validates a request body; a type guard for `ThreadUpdateBody` (the generated code is untyped). */
export const validateThreadUpdateBody = generated.validateThreadUpdateBody as ValidateFunction<ThreadUpdateBody>;

/** The schema itself, for the refusal sentences it carries. */
export { threadUpdateBodySchema };
