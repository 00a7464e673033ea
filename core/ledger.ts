// ledger.yaml (SPEC 5): the thread's participants, status, visibility and policies.

import { isDeepStrictEqual } from 'node:util';
import { validateLedger, type Ledger, type Participant, type Policies, type Visibility } from './ledgerSchema.js';
import { readYamlFile, yamlString, type ReadResult } from './yaml.js';

export type { Ledger, Participant, Policies, Visibility } from './ledgerSchema.js';

/** Defaults at creation (SPEC 5). */
export const defaultVisibility: Visibility = { sensitivity: 'standard', restricted: false };
export const defaultPolicies: Policies = { allow_patient_participation: true, allow_external_organisations: true };

/** Size cap of ledger.yaml, checked before it is read. */
export const LEDGER_MAX_BYTES = 64 * 1024;

/** The file in the layout of the SPEC example (no comments). */
export function renderLedger(l: Ledger): string {
  const participants = l.participants
    .map(
      (p) =>
        `  - participant_id: ${p.participant_id}\n    role: ${p.role}\n    display_name: ${yamlString(p.display_name)}\n`,
    )
    .join('');
  return (
    `thread_id: ${l.thread_id}\nstatus: ${l.status}\ncreated_at: ${l.created_at}\nlast_updated_at: ${l.last_updated_at}\n` +
    `participants:\n${participants}` +
    `visibility:\n  sensitivity: ${l.visibility.sensitivity}\n  restricted: ${l.visibility.restricted}\n` +
    `policies:\n  allow_patient_participation: ${l.policies.allow_patient_participation}\n` +
    `  allow_external_organisations: ${l.policies.allow_external_organisations}\n`
  );
}

/** Read ledger.yaml: strict YAML, then the schema. */
export function readLedger(bytes: Uint8Array, path?: string): ReadResult<Ledger> {
  return readYamlFile(bytes, path, { maxBytes: LEDGER_MAX_BYTES, file: 'ledger', validate: validateLedger });
}

/** The participant with that id, if any. */
export function findParticipant(l: Ledger, id: string): Participant | undefined {
  return l.participants.find((p) => p.participant_id === id);
}

/** True when two ledgers differ in what needs a system message: participants, status, visibility, policies. */
export function governanceChanged(a: Ledger, b: Ledger): boolean {
  // Compared as values: the order of keys in the file is not a change.
  const key = (l: Ledger) => [l.participants, l.status, l.visibility, l.policies];
  return !isDeepStrictEqual(key(a), key(b));
}
