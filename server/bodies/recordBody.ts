// The body of POST /api/records (schemas/api/record.schema.json, compiled ahead of time).

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/apiValidators.js';
import recordBodySchema from '../../schemas/api/record.schema.json' with { type: 'json' };

/** A peer's record re-created here: the author and time of its first commit, and that commit's id. */
export interface RootBody {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  time: number;
  commit?: string;
  /** An armoured SSH signature of `commit`. */
  signature?: string;
}

/** Any JSON value but an object. */
type NotAnObject = string | number | boolean | null | unknown[];

/** A new record's first thread as sent: its participants are checked in code, so are a message's author. */
export type ThreadInRecordBody =
  { participants?: unknown; message?: { author_id?: unknown; body: string } | NotAnObject } | NotAnObject;

/** A new record as sent (a JSON array is one with no fields). */
export type RecordBody =
  | {
      coordination_id?: string;
      thread?: ThreadInRecordBody;
      root?: RootBody;
      care_location?: unknown;
      clinical_id?: unknown;
    }
  | unknown[];

/** Validates a request body; a type guard for `RecordBody` (the generated code is untyped). */
export const validateRecordBody = generated.validateRecordBody as ValidateFunction<RecordBody>;

/** The schema itself, for the refusal sentences it carries. */
export { recordBodySchema };
