// ccr/who-write (SPEC 9): a principal without the right to write (an auditor) writes nothing.

import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';

/** A push by a principal that may not write is refused before any of its refs is read. */
export const whoWritePush = defineRule({
  id: 'ccr/who-write',
  scope: 'push',
  check({ principal }, _ctx, report) {
    if (!rightsOf(principal).write) report('expected no pushes from an auditor');
  },
});

/** A commit judged for a principal that may not write is refused. */
export const whoWrite = defineRule({
  id: 'ccr/who-write',
  scope: 'commit',
  check(_c, ctx, report) {
    if (ctx.principal && !rightsOf(ctx.principal).write) report('expected no writes from an auditor');
  },
});

/** An API write by a principal that may not write, or a view push by a participant removed from every thread. */
export const whoWriteRefused = defineRule({
  id: 'ccr/who-write',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused === 'auditor') report('expected no writes from an auditor');
    if (w.refused === 'view-read-only') {
      report(
        `expected a push from a participant of some thread of record ${w.recordId}, found ` +
          `${w.principal}, removed from every thread (its view is read-only now)`,
      );
    }
  },
});
