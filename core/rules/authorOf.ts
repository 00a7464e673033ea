// Who wrote an appended message, as the message rules judge it.

import { findParticipant, type Participant } from '../ledger.js';
import { patientRoles } from '../vocabulary.js';
import type { MessageInput } from './define.js';
import { judged } from './context.js';

/** The author's ledger entry (if any), the thread it was looked up in (for messages), and whether it is a system message by a patient. */
export interface AuthorOf {
  author: Participant | undefined;
  of: string;
  /** A `system` message whose author is a patient or patient associate (ccr/message-type says so). */
  patientSystem: boolean;
}

/**
 * The author is a participant after the commit. A system message tells a change made by a
 * participant of the thread as it was (who may be leaving it in the same commit), whoever pushes
 * it: the library's rule, for every principal kind.
 */
export function authorOf({ thread: t, ledger, message: m }: MessageInput): AuthorOf {
  const before = judged(t.oldLedger);
  const governs = m.type === 'system' && !t.created && before !== undefined;
  const author = governs && before ? findParticipant(before, m.authorId) : findParticipant(ledger, m.authorId);
  const of = governs ? 'the thread before the change it tells' : 'the thread';
  return {
    author,
    of,
    patientSystem: author !== undefined && m.type === 'system' && patientRoles.includes(author.role),
  };
}
