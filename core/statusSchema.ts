// The type of COORDINATION_STATUS.yaml (SPEC 6) and its validator
// (schemas/coordination-status.schema.json, compiled ahead of time into core/generated/), one module
// that imports neither the reader nor the renderer.

import type { ValidateFunction } from 'ajv';
import * as generated from './generated/schemaValidators.js';
import statusSchema from '../schemas/coordination-status.schema.json' with { type: 'json' };
import type { RecordId, Uuid } from './ids.js';
import type { LifecycleState } from './vocabulary.js';

/** The content of COORDINATION_STATUS.yaml. */
export interface CoordinationStatus {
  coordination_id: RecordId;
  clinical_id: Uuid;
  status: {
    lifecycle_state: LifecycleState;
    record_open: boolean;
    record_queryable: boolean;
    record_modifiable: boolean;
  };
}

/** Validates a value read from COORDINATION_STATUS.yaml; a type guard for `CoordinationStatus` (the generated code is untyped). */
export const validateStatus = generated.validateStatus as ValidateFunction<CoordinationStatus>;

/** The schema itself, for tests and documentation. */
export { statusSchema };
