// Who a view is for, and which threads it may hold (SPEC 12). A reader is a key (naming its view
// repository) and a predicate over a thread's ledger: the projection asks nothing else of it, so
// a participant's view and the view of systems that do not take part are the same machinery.

import { isUuid } from '../ids.js';
import type { Ledger } from '../ledger.js';
import type { Principal } from '../principal.js';

/** A reader of views: what its view repository is named after, and which threads it may see. */
export interface ViewReader {
  /** A participant id, or `systems`; names the view repository and the signatures made in it. */
  readonly key: string;
  /** True when the thread with this ledger is in the view at this commit. */
  sees(ledger: Ledger): boolean;
}

/** The reader of a participant: it sees a thread while it is one of its participants. */
export function participantReader(participantId: string): ViewReader {
  return { key: participantId, sees: (l) => l.participants.some((p) => p.participant_id === participantId) };
}

/** The key of the systems' view. */
export const SYSTEMS_KEY = 'systems';

/**
 * The reader of systems that read records without taking part in them (integration principals):
 * every thread but those marked `visibility.restricted: true` (docs/decisions.md, "Participant views").
 */
export const systemsReader: ViewReader = { key: SYSTEMS_KEY, sees: (l) => !l.visibility.restricted };

/** A reader that sees every thread: its view is `main` itself (for tests and properties). */
export const everythingReader: ViewReader = { key: 'everything', sees: () => true };

/** True for a key a view repository may be named after: a canonical participant id, or `systems`. */
export function isViewKey(key: string): boolean {
  return key === SYSTEMS_KEY || isUuid(key);
}

/**
 * The view a principal reads a record through; null for those who read `main` whole (admin,
 * auditor and site principals: administration, audit and replication need all of it).
 */
export function readerFor(principal: Principal): ViewReader | null {
  switch (principal.kind) {
    case 'admin':
    case 'auditor':
    case 'site':
      return null;
    case 'integration':
      return systemsReader;
    case 'participant':
      return participantReader(principal.participantId);
  }
}
