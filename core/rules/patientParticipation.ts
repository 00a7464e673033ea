// ccr/patient-participation (SPEC 8): patients write only where the thread allows it.

import { patientRoles } from '../vocabulary.js';
import { authorOf } from './authorOf.js';
import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** A message by a patient or patient associate in a thread without allow_patient_participation. */
export const patientParticipation = defineRule({
  id: 'ccr/patient-participation',
  scope: 'message',
  check(input, _ctx, report) {
    const { author, patientSystem } = authorOf(input);
    if (!author || patientSystem) return;
    if (patientRoles.includes(author.role) && !input.ledger.policies.allow_patient_participation) {
      report(
        `expected allow_patient_participation: true for a message by a ${author.role}`,
        messagePlace(input.thread.threadId, input.message),
      );
    }
  },
});
