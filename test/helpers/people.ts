// The cast of the tests: participants, commit authors, ids from the SPEC examples.

import type { Participant } from '../../core/ledger.js';
import type { ParticipantId } from '../../core/ids.js';

/** A participant of the given role. */
export function participant(id: string, role: Participant['role'], display_name: string): Participant {
  return { participant_id: id as ParticipantId, role, display_name };
}

export const jane = participant('4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12', 'clinician', 'Dr Jane Smith');
export const tom = participant('a1d3c5e7-f9b2-4680-b2d4-f6e8c0a9d1e3', 'clinician', 'Dr Tom Patel');
export const john = participant('9b7c6d5e-4f3a-2b1c-0e8d-7f6a5b4c3d2e', 'patient', 'John Doe');
export const admin = participant('1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', 'careadministrator', 'Sam Admin');

/** The author field of message content for a participant. */
export function as(p: Participant): { id: string; name: string } {
  return { id: p.participant_id, name: p.display_name };
}

/** A commit author. */
export const committer = { name: 'CCR Test', email: 'test@ccr.invalid' };
export const place = 'Oxford University Hospitals';
export const clinicalId = 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12';
