// The type of ledger.yaml (SPEC 5) and its validator (schemas/ledger.schema.json, compiled ahead of
// time into core/generated/), side by side so the type and the schema that guards it are one module
// that imports neither the reader nor the renderer.

import type { ValidateFunction } from 'ajv';
import * as generated from './generated/schemaValidators.js';
import ledgerSchema from '../schemas/ledger.schema.json' with { type: 'json' };
import type { ParticipantId, ThreadId, Timestamp } from './ids.js';
import type { Role, Sensitivity, ThreadStatus } from './vocabulary.js';

/** A participant of a thread. */
export interface Participant {
  participant_id: ParticipantId;
  role: Role;
  display_name: string;
}

/** Who sees a thread, and how sensitive it is. */
export interface Visibility {
  sensitivity: Sensitivity;
  restricted: boolean;
}

/** What a thread allows. */
export interface Policies {
  allow_patient_participation: boolean;
  allow_external_organisations: boolean;
}

/** The content of ledger.yaml. */
export interface Ledger {
  thread_id: ThreadId;
  status: ThreadStatus;
  created_at: Timestamp;
  last_updated_at: Timestamp;
  participants: Participant[];
  visibility: Visibility;
  policies: Policies;
}

/** Validates a value read from ledger.yaml; a type guard for `Ledger` (the generated code is untyped). */
export const validateLedger = generated.validateLedger as ValidateFunction<Ledger>;

/** The schema itself, for tests and documentation. */
export { ledgerSchema };
