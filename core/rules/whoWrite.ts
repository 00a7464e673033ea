// ccr/who-write (SPEC 9): a principal without the right to write (an auditor) writes nothing.

import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';

/** A push by a principal that may not write is refused before any of its refs is read. */
export const whoWritePush = defineRule({
  id: 'ccr/who-write', scope: 'push',
  check({ principal }, _ctx, report) {
    if (!rightsOf(principal).write) report('expected no pushes from an auditor');
  },
});

/** A commit judged for a principal that may not write is refused. */
export const whoWrite = defineRule({
  id: 'ccr/who-write', scope: 'commit',
  check(_c, ctx, report) {
    if (ctx.principal && !rightsOf(ctx.principal).write) report('expected no writes from an auditor');
  },
});
