// ccr/ledger-identity (SPEC 8): a ledger names its thread (the folder) and the thread id's time,
// and neither ever changes.

import { threadIdTimestamp } from '../ids.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** thread_id is the folder name and created_at its time, on any ledger. */
export const ledgerIdentityState = defineRule({
  id: 'ccr/ledger-identity',
  scope: 'ledger',
  check({ threadId, path, ledger: l }, _ctx, report) {
    // The folder name is a plain string here (a sync merge judges folders of any name); once it
    // equals the ledger's thread_id, that parsed ThreadId stands for it.
    if (l.thread_id !== threadId)
      report(`expected thread_id ${threadId} (the folder name), found ${l.thread_id}`, { path });
    else if (l.created_at !== threadIdTimestamp(l.thread_id)) {
      report(`expected created_at ${threadIdTimestamp(l.thread_id)} (the thread id's time), found ${l.created_at}`, {
        path,
      });
    }
  },
});

/** A changed ledger keeps thread_id and created_at. */
export const ledgerIdentityChanged = defineRule({
  id: 'ccr/ledger-identity',
  scope: 'thread',
  check(t, _ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (t.created || !old || !l || !t.ledgerChanged) return;
    if (old.thread_id !== l.thread_id || old.created_at !== l.created_at)
      report('expected thread_id and created_at never to change', { path: threadFilePath(t.threadId, LEDGER_FILE) });
  },
});
