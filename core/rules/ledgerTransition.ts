// ccr/ledger-transition (SPEC 8): a new thread is open; a status moves only along the allowed moves.

import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { describeMoves, mayMove } from '../vocabulary.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** A thread is created open. */
export const ledgerTransitionNew = defineRule({
  id: 'ccr/ledger-transition',
  scope: 'thread',
  check(t, _ctx, report) {
    const l = judged(t.newLedger);
    if (t.created && l && l.status !== 'open')
      report(`expected a new thread to be open, found ${l.status}`, { path: threadFilePath(t.threadId, LEDGER_FILE) });
  },
});

/** A changed ledger's status moves only as the vocabulary allows. */
export const ledgerTransitionMove = defineRule({
  id: 'ccr/ledger-transition',
  scope: 'thread',
  check(t, _ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (t.created || !old || !l || !t.ledgerChanged) return;
    if (!mayMove(old.status, l.status))
      report(`expected status to move only ${describeMoves()}, found ${old.status}→${l.status}`, {
        path: threadFilePath(t.threadId, LEDGER_FILE),
      });
  },
});
