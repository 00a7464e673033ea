// ccr/record-frozen (SPEC 8): a closed or not modifiable record takes changes only to its status file.

import { STATUS_FILE } from '../layout.js';
import { isFrozen } from '../status.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** Every thread a commit touches in a frozen record is refused. */
export const recordFrozen = defineRule({
  id: 'ccr/record-frozen',
  scope: 'commit',
  check(c, _ctx, report) {
    const before = judged(c.oldStatus);
    if (!before || !isFrozen(before)) return;
    const state = before.status.lifecycle_state === 'closed' ? 'closed' : 'not modifiable';
    for (const t of c.threads)
      report(`expected no change but to ${STATUS_FILE} while the record is ${state}`, { path: t.path });
  },
});
