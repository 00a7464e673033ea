// ccr/message-type (SPEC 8): a message's type is its author's role, a correction, or `system`
// from a clinician, care administrator or system participant in a commit that governs the thread.

import { governanceChanged } from '../ledger.js';
import { authorOf } from './authorOf.js';
import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';
import { judged } from './context.js';

/** A type the author may not use, or a system message where the commit governs nothing. */
export const messageType = defineRule({
  id: 'ccr/message-type',
  scope: 'message',
  check(input, _ctx, report) {
    const { thread: t, ledger, message: m } = input;
    const { author, patientSystem } = authorOf(input);
    if (!author) return;
    if (patientSystem) {
      const by = `${author.role} ${author.display_name}`;
      report(
        `expected a \`system\` message by a clinician, careadministrator or system participant, found one by ${by}`,
        messagePlace(t.threadId, m),
      );
      return;
    }
    const old = judged(t.oldLedger);
    const eventCommit = t.created || (old !== undefined && governanceChanged(old, ledger));
    const typeOk = m.type === author.role || m.type === 'correction' || (m.type === 'system' && eventCommit);
    if (!typeOk) {
      report(
        m.type === 'system'
          ? 'expected a `system` message only in a commit that changes participants, status, visibility or policies'
          : `expected the type ${author.role} (the author's role) or correction, found ${m.type}`,
        messagePlace(t.threadId, m),
      );
    }
  },
});
