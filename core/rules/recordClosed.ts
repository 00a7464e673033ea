// ccr/record-closed (SPEC 8): while record_open is false, no new thread or message.

import { isFrozen } from '../status.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** New threads and messages of a record not open (and not frozen, which says more) are refused. */
export const recordClosed = defineRule({
  id: 'ccr/record-closed',
  scope: 'commit',
  check(c, _ctx, report) {
    const before = judged(c.oldStatus);
    if (!before || isFrozen(before) || before.status.record_open) return;
    for (const t of c.threads) {
      if (t.created || t.appended.length > 0)
        report(`expected no new ${t.created ? 'thread' : 'message'} while record_open is false`, { path: t.path });
    }
  },
});
