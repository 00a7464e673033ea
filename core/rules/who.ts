// Who may do what (SPEC 8, 9); only where the principal is known (the server).

import { error, ruleIds, type Finding } from '../findings.js';
import { findParticipant, governanceChanged } from '../ledger.js';
import { governingRoles } from '../vocabulary.js';
import type { CommitChanges, RuleContext } from './context.js';
import { STATUS_FILE } from './tree.js';

/** Judge a commit's changes against the rights of the principal who pushed it. */
export function whoRules(c: CommitChanges, ctx: RuleContext): Finding[] {
  const p = ctx.principal;
  if (!p) return [];
  const out: Finding[] = [];
  if (p.kind === 'auditor') return [error(ruleIds.whoWrite, 'expected no writes from an auditor')];
  if (c.statusChanged && !c.createsRecord && p.kind !== 'admin' && p.kind !== 'site') {
    out.push(error(ruleIds.whoStatus, `expected ${STATUS_FILE} to be changed only by an admin or site principal, found ${p.kind} ${p.name}`, { path: STATUS_FILE }));
  }
  if (p.kind !== 'participant') return out;
  for (const t of c.threads) {
    for (const m of t.appended) {
      if (m.authorId !== p.participantId) {
        out.push(error(ruleIds.whoAuthor, `expected messages by ${p.participantId} (the pushing participant ${p.name}), found one by ${m.authorId}`, { path: `${t.path}/messages.md`, messageId: m.id, line: m.line }));
      }
    }
    const governs = (t.created && t.newLedger) || (t.oldLedger && t.newLedger && governanceChanged(t.oldLedger, t.newLedger));
    if (!governs) continue;
    const ledger = t.created ? t.newLedger : t.oldLedger;
    const self = ledger && findParticipant(ledger, p.participantId);
    if (!governingRoles.includes(p.role) || !self || !governingRoles.includes(self.role)) {
      out.push(error(ruleIds.whoThread, `expected only a clinician or careadministrator participant of the thread to ${t.created ? 'create it' : 'change its participants, status, visibility or policies'}, found ${p.role} ${p.name}`, { path: `${t.path}/ledger.yaml` }));
    }
  }
  return out;
}
