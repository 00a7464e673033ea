// Who may do what (SPEC 8, 9); only where the principal is known (the server).

import { error, ruleIds, type Finding } from '../findings.js';
import { findParticipant, governanceChanged } from '../ledger.js';
import { governingRoles } from '../vocabulary.js';
import type { CommitChanges, RuleContext, ThreadChange } from './context.js';
import { LEDGER_FILE, MESSAGES_FILE, STATUS_FILE, threadFilePath } from '../layout.js';

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
        out.push(error(ruleIds.whoAuthor, `expected messages by ${p.participantId} (the pushing participant ${p.name}), found one by ${m.authorId}`, { path: threadFilePath(t.threadId, MESSAGES_FILE), messageId: m.id, line: m.line }));
      }
    }
    if (!governs(t)) continue;
    const ledger = t.created ? t.newLedger : t.oldLedger;
    const self = ledger && findParticipant(ledger, p.participantId);
    if (!governingRoles.includes(p.role) || !self || !governingRoles.includes(self.role)) {
      const what = t.created ? 'create it' : 'change its participants, status, visibility, policies or (without a message) last_updated_at';
      const why = `expected only a clinician or careadministrator participant of the thread to ${what}, found ${p.role} ${p.name}`;
      out.push(error(ruleIds.whoThread, why, { path: threadFilePath(t.threadId, LEDGER_FILE) }));
    }
  }
  return out;
}

/**
 * True when a commit governs a thread: creates it, changes its participants, status, visibility
 * or policies, or moves its last_updated_at without appending a message (SPEC 8).
 */
function governs(t: ThreadChange): boolean {
  if (t.created) return t.newLedger !== undefined;
  const [before, after] = [t.oldLedger, t.newLedger];
  if (!before || !after) return false;
  return governanceChanged(before, after) || (before.last_updated_at !== after.last_updated_at && t.appended.length === 0);
}

/**
 * A ledger entry whose participant_id is bound to a participant principal carries that
 * principal's role and display name (SPEC 8), whoever writes it: no one lists Bob's id as
 * "Dr Jane Smith". Only entries the commit adds or changes are judged. Not for a peer site's
 * pushes: bindings are this server's, and the peer judged its own writes with its own.
 */
export function boundEntryRules(c: CommitChanges, ctx: RuleContext): Finding[] {
  const bound = ctx.bindings;
  if (!bound || ctx.principal?.kind === 'site') return [];
  const out: Finding[] = [];
  for (const t of c.threads) {
    if (!t.newLedger || (!t.created && !t.ledgerChanged)) continue;
    for (const entry of t.newLedger.participants) {
      const before = t.oldLedger && findParticipant(t.oldLedger, entry.participant_id);
      if (before && before.role === entry.role && before.display_name === entry.display_name) continue;
      const bindings = bound(entry.participant_id);
      if (bindings.length === 0 || bindings.some((b) => b.role === entry.role && b.displayName === entry.display_name)) continue;
      const b = bindings[0]!;
      const [expected, found] = [`${b.role} ${JSON.stringify(b.displayName)}`, `${entry.role} ${JSON.stringify(entry.display_name)}`];
      const why = `expected participant ${entry.participant_id} as its participant principal ${b.name} is: ${expected}, found ${found}`;
      out.push(error(ruleIds.whoParticipant, why, { path: threadFilePath(t.threadId, LEDGER_FILE) }));
    }
  }
  return out;
}
