// ccr/thread-not-open (SPEC 8): no new messages in a thread that was not open before the commit.

import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** Messages appended to a closed or archived thread (one finding, at the first of them). */
export const threadNotOpen = defineRule({
  id: 'ccr/thread-not-open', scope: 'thread',
  check(t, _ctx, report) {
    const first = t.appended[0];
    if (!first || !t.newLedger || t.created || !t.oldLedger || t.oldLedger.status === 'open') return;
    report(`expected no new messages in a ${t.oldLedger.status} thread`, messagePlace(t.threadId, first));
  },
});
