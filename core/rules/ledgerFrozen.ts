// ccr/ledger-frozen (SPEC 8): an archived thread's ledger never changes; a closed one's only to archive it.

import { isDeepStrictEqual } from 'node:util';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** A change to the ledger of an archived thread, or of a closed one beyond its status. */
export const ledgerFrozen = defineRule({
  id: 'ccr/ledger-frozen',
  scope: 'thread',
  check(t, _ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (t.created || !old || !l || !t.ledgerChanged) return;
    const where = { path: threadFilePath(t.threadId, LEDGER_FILE) };
    if (old.status === 'archived') report('expected no change to the ledger of an archived thread', where);
    else if (old.status === 'closed') {
      const { status: _a, last_updated_at: _b, ...before } = old;
      const { status: _c, last_updated_at: _d, ...after } = l;
      if (!isDeepStrictEqual(before, after))
        report('expected a closed thread to change only its status to archived', where);
    }
  },
});
