// ccr/who-status (SPEC 9): after a record's first commit, only principals with the right change its status.

import { STATUS_FILE } from '../layout.js';
import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';

/** A status change by a principal without `changeStatus` (one that may not write is refused by ccr/who-write). */
export const whoStatus = defineRule({
  id: 'ccr/who-status',
  scope: 'commit',
  check(c, ctx, report) {
    const p = ctx.principal;
    if (!p || !rightsOf(p).write) return;
    if (c.statusChanged && !c.createsRecord && !rightsOf(p).changeStatus) {
      report(`expected ${STATUS_FILE} to be changed only by an admin or site principal, found ${p.kind} ${p.name}`, {
        path: STATUS_FILE,
      });
    }
  },
});
