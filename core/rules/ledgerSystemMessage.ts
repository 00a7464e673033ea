// ccr/ledger-system-message (SPEC 8): every change of an open thread's governance comes with a
// `system` message in the same commit.

import { governanceChanged } from '../ledger.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** A governance change of an open thread without an appended system message. */
export const ledgerSystemMessage = defineRule({
  id: 'ccr/ledger-system-message',
  scope: 'thread',
  check(t, _ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (t.created || !old || !l || !t.ledgerChanged) return;
    // Archived and closed threads are judged by ccr/ledger-frozen instead.
    if (old.status === 'archived' || old.status === 'closed') return;
    if (governanceChanged(old, l) && !t.appended.some((m) => m.type === 'system')) {
      report(
        'expected a `system` message appended in the same commit for a change of participants, status, visibility or policies',
        { path: threadFilePath(t.threadId, LEDGER_FILE) },
      );
    }
  },
});
