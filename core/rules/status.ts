// Record status rules (SPEC 8): identity of the status file, and what a frozen or closed record
// still allows.

import { error, ruleIds, type Finding } from '../findings.js';
import { isFrozen } from '../status.js';
import type { CommitChanges, RuleContext } from './context.js';
import { STATUS_FILE } from '../layout.js';

/** Judge the status file and what the record's state before the commit allows. */
export function statusRules(c: CommitChanges, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const bad = (rule: Finding['rule'], message: string, path = STATUS_FILE) => out.push(error(rule, message, { path }));
  const s = c.newStatus;
  if (s && c.statusChanged) {
    if (s.coordination_id !== ctx.recordId) bad(ruleIds.statusIdentity, `expected coordination_id ${ctx.recordId} (the record id), found ${s.coordination_id}`);
    if (c.oldStatus && s.clinical_id !== c.oldStatus.clinical_id) bad(ruleIds.statusIdentity, `expected clinical_id ${c.oldStatus.clinical_id} never to change, found ${s.clinical_id}`);
  }
  const before = c.oldStatus;
  if (!before) return out;
  if (isFrozen(before)) {
    for (const t of c.threads) bad(ruleIds.recordFrozen, `expected no change but to ${STATUS_FILE} while the record is ${before.status.lifecycle_state === 'closed' ? 'closed' : 'not modifiable'}`, t.path);
  } else if (!before.status.record_open) {
    for (const t of c.threads) {
      if (t.created || t.appended.length > 0) bad(ruleIds.recordClosed, `expected no new ${t.created ? 'thread' : 'message'} while record_open is false`, t.path);
    }
  }
  return out;
}
