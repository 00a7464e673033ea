// Who a view is for, and which threads it may hold (SPEC 12). A reader is a key (naming its view
// repository) and a predicate over a thread's ledger: the projection asks nothing else of it.

import { isUuid } from '../ids.js';
import type { Ledger } from '../ledger.js';
import type { Principal } from '../principal.js';

/** A reader of views: what its view repository is named after, and which threads it may see. */
export interface ViewReader {
  /** A participant id; names the view repository and the signatures made in it. */
  readonly key: string;
  /** True when the thread with this ledger is in the view at this commit. */
  sees(ledger: Ledger): boolean;
}

/** The reader of a participant: it sees a thread while it is one of its participants. */
export function participantReader(participantId: string): ViewReader {
  return { key: participantId, sees: (l) => l.participants.some((p) => p.participant_id === participantId) };
}

/** A reader that sees every thread: its view is `main` itself (for tests and properties). */
export const everythingReader: ViewReader = { key: 'everything', sees: () => true };

/** True for a key a view repository may be named after: a canonical participant id. */
export function isViewKey(key: string): boolean {
  return isUuid(key);
}

/**
 * The view a principal reads a record through; null for those who read `main` whole (admin,
 * auditor, site and integration principals: administration, audit, replication and the systems
 * that act for participants need all of it; SPEC 12).
 */
export function readerFor(principal: Principal): ViewReader | null {
  switch (principal.kind) {
    case 'admin':
    case 'auditor':
    case 'site':
    case 'integration':
      return null;
    case 'participant':
      return participantReader(principal.participantId);
  }
}
