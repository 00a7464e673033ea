// ccr/thread-not-open (SPEC 8): no new messages in a thread that was not open before the commit.

import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';
import { judged } from './context.js';

/** Messages appended to a closed or archived thread (one finding, at the first of them). */
export const threadNotOpen = defineRule({
  id: 'ccr/thread-not-open',
  scope: 'thread',
  check(t, _ctx, report) {
    const first = t.appended[0];
    const old = judged(t.oldLedger);
    if (!first || !judged(t.newLedger) || t.created || !old || old.status === 'open') return;
    report(`expected no new messages in a ${old.status} thread`, messagePlace(t.threadId, first));
  },
});

/** A message the service refused to add to a thread that is not open. */
export const threadNotOpenWrite = defineRule({
  id: 'ccr/thread-not-open',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused === 'thread-closed') report(w.reason);
  },
});
