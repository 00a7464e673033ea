// ccr/status-identity (SPEC 8): the status file names this record, and its clinical id never changes.

import { STATUS_FILE } from '../layout.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** A changed status file keeps the record's coordination_id and clinical_id. */
export const statusIdentity = defineRule({
  id: 'ccr/status-identity',
  scope: 'commit',
  check(c, ctx, report) {
    const s = judged(c.newStatus);
    if (!s || !c.statusChanged) return;
    const where = { path: STATUS_FILE };
    if (s.coordination_id !== ctx.recordId)
      report(`expected coordination_id ${ctx.recordId} (the record id), found ${s.coordination_id}`, where);
    const old = judged(c.oldStatus);
    if (old && s.clinical_id !== old.clinical_id)
      report(`expected clinical_id ${old.clinical_id} never to change, found ${s.clinical_id}`, where);
  },
});

/** A history whose first commit holds no readable status file to take the record id from. */
export const statusIdentityHistory = defineRule({
  id: 'ccr/status-identity',
  scope: 'history',
  check(h, _ctx, report) {
    if (h.problem === 'no-record-id')
      report(`expected the first commit to hold a readable ${STATUS_FILE} with the record id`, { commit: h.commit });
  },
});
