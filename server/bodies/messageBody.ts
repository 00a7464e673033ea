// The body of POST /api/records/<id>/threads/<thread>/messages (schemas/api/message.schema.json,
// compiled ahead of time).

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/apiValidators.js';
import messageBodySchema from '../../schemas/api/message.schema.json' with { type: 'json' };

/** A new message as posted; author_id is whatever was sent, judged against the ledger (writerOf). */
export interface MessageBody {
  body: string;
  corrects?: string;
  author_id?: unknown;
  care_location?: string;
}

/** Validates a request body; a type guard for `MessageBody` (the generated code is untyped). */
export const validateMessageBody = generated.validateMessageBody as ValidateFunction<MessageBody>;

/** The schema itself, for the refusal sentences it carries. */
export { messageBodySchema };
