// Whether a commit governs a thread, as the who rules judge it (SPEC 8).

import { governanceChanged } from '../ledger.js';
import { judged, type ThreadChange } from './context.js';

/**
 * True when a commit governs a thread: creates it, changes its participants, status, visibility
 * or policies, or moves its last_updated_at without appending a message (SPEC 8).
 */
export function governs(t: ThreadChange): boolean {
  if (t.created) return judged(t.newLedger) !== undefined;
  const [before, after] = [judged(t.oldLedger), judged(t.newLedger)];
  if (!before || !after) return false;
  return (
    governanceChanged(before, after) || (before.last_updated_at !== after.last_updated_at && t.appended.length === 0)
  );
}
