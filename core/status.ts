// COORDINATION_STATUS.yaml (SPEC 6): the record's link to its clinical record and its state.

import type { RecordId, Uuid } from './ids.js';
import { STATUS_FILE } from './layout.js';
import { validateStatus, type CoordinationStatus } from './statusSchema.js';
import { readYamlFile, type ReadResult } from './yaml.js';

export type { CoordinationStatus } from './statusSchema.js';

/** Size cap of COORDINATION_STATUS.yaml, checked before it is read. */
export const STATUS_MAX_BYTES = 16 * 1024;

/** The status of a new record: active, open, queryable, modifiable. */
export function initialStatus(coordinationId: RecordId, clinicalId: Uuid): CoordinationStatus {
  return {
    coordination_id: coordinationId,
    clinical_id: clinicalId,
    status: { lifecycle_state: 'active', record_open: true, record_queryable: true, record_modifiable: true },
  };
}

/** The file in the layout of the SPEC example (no comments). */
export function renderStatus(s: CoordinationStatus): string {
  return (
    `coordination_id: ${s.coordination_id}\nclinical_id: ${s.clinical_id}\nstatus:\n` +
    `  lifecycle_state: ${s.status.lifecycle_state}\n  record_open: ${s.status.record_open}\n` +
    `  record_queryable: ${s.status.record_queryable}\n  record_modifiable: ${s.status.record_modifiable}\n`
  );
}

/** Read COORDINATION_STATUS.yaml: strict YAML, then the schema. */
export function readStatus(bytes: Uint8Array, path = STATUS_FILE): ReadResult<CoordinationStatus> {
  return readYamlFile(bytes, path, { maxBytes: STATUS_MAX_BYTES, file: 'status', validate: validateStatus });
}

/** True when nothing but this file may change (SPEC 8: not modifiable, or closed). */
export function isFrozen(s: CoordinationStatus): boolean {
  return !s.status.record_modifiable || s.status.lifecycle_state === 'closed';
}
