// Message rules (SPEC 8) for the blocks a commit appends to one thread: unique ids, timestamps,
// author and name, type, corrections, open thread, patient participation.

import { error, ruleIds, type Finding } from '../findings.js';
import { parseTimestamp } from '../ids.js';
import { findParticipant, governanceChanged } from '../ledger.js';
import type { ParsedMessage } from '../messages/grammar.js';
import { patientRoles } from '../vocabulary.js';
import { MESSAGES_FILE, threadFilePath } from '../layout.js';
import { CLOCK_SKEW_MS, type RuleContext, type ThreadChange } from './context.js';

/** Judge the appended messages of one thread against its ledgers before and after the commit. */
export function messageRules(t: ThreadChange, ctx: RuleContext): Finding[] {
  const ledger = t.newLedger;
  if (t.appended.length === 0 || !ledger) return [];
  const out: Finding[] = [];
  if (!t.created && t.oldLedger && t.oldLedger.status !== 'open') {
    out.push(error(ruleIds.threadNotOpen, `expected no new messages in a ${t.oldLedger.status} thread`, { path: threadFilePath(t.threadId, MESSAGES_FILE), messageId: t.appended[0]!.id, line: t.appended[0]!.line }));
  }
  const eventCommit = t.created || (t.oldLedger !== undefined && governanceChanged(t.oldLedger, ledger));
  const created = parseTimestamp(ledger.created_at) ?? 0;
  const lastUpdated = parseTimestamp(ledger.last_updated_at) ?? 0;
  // Blocks by id: a sync merge may hold two blocks with one id (docs/decisions.md, 19.6).
  const byId = new Map<string, ParsedMessage[]>();
  const remember = (m: ParsedMessage) => byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
  t.earlier.forEach(remember);
  for (const m of t.appended) {
    const where = { path: threadFilePath(t.threadId, MESSAGES_FILE), messageId: m.id, line: m.line };
    const bad = (rule: Finding['rule'], message: string) => out.push(error(rule, message, where));
    if (byId.has(m.id)) bad(ruleIds.messageId, `expected a message id not used before in the thread, found ${m.id} again`);
    const time = parseTimestamp(m.timestamp) ?? 0;
    if (time < created) bad(ruleIds.messageTimestamp, `expected a timestamp no earlier than the thread's created_at ${ledger.created_at}, found ${m.timestamp}`);
    if (time > lastUpdated) bad(ruleIds.ledgerLastUpdated, `expected the ledger's last_updated_at (${ledger.last_updated_at}) to be no earlier than message timestamp ${m.timestamp}`);
    if (ctx.now !== undefined && time > ctx.now + CLOCK_SKEW_MS) bad(ruleIds.messageTimestamp, `expected a timestamp no later than 5 minutes after the server time, found ${m.timestamp}`);

    // The author is a participant after the commit. A system message tells a change made by a
    // participant of the thread as it was (who may be leaving it in the same commit), whoever
    // pushes it: the library's rule, for every principal kind.
    const governs = m.type === 'system' && !t.created && t.oldLedger !== undefined;
    const author = governs ? findParticipant(t.oldLedger!, m.authorId) : findParticipant(ledger, m.authorId);
    const of = governs ? 'the thread before the change it tells' : 'the thread';
    if (!author) bad(ruleIds.messageAuthor, `expected the author ${m.authorId} to be a participant of ${of}`);
    else if (m.type === 'system' && patientRoles.includes(author.role)) {
      const by = `${author.role} ${author.display_name}`;
      bad(ruleIds.messageType, `expected a \`system\` message by a clinician, careadministrator or system participant, found one by ${by}`);
    } else {
      if (author.display_name !== m.author) bad(ruleIds.messageAuthor, `expected the author name ${JSON.stringify(author.display_name)} from the ledger, found ${JSON.stringify(m.author)}`);
      const typeOk = m.type === author.role || m.type === 'correction' || (m.type === 'system' && eventCommit);
      if (!typeOk) {
        bad(ruleIds.messageType, m.type === 'system'
          ? 'expected a `system` message only in a commit that changes participants, status, visibility or policies'
          : `expected the type ${author.role} (the author's role) or correction, found ${m.type}`);
      }
      if (patientRoles.includes(author.role) && !ledger.policies.allow_patient_participation) {
        bad(ruleIds.patientParticipation, `expected allow_patient_participation: true for a message by a ${author.role}`);
      }
    }
    if (m.corrects !== undefined) {
      const targets = byId.get(m.corrects);
      const target = targets?.find((x) => x.authorId === m.authorId) ?? targets?.[0];
      if (!target) bad(ruleIds.messageCorrection, `expected the corrected message ${m.corrects} earlier in this thread`);
      else if (target.type === 'system') bad(ruleIds.messageCorrection, `expected a correction of a non-system message, found ${m.corrects} of type system`);
      else if (target.authorId !== m.authorId) bad(ruleIds.messageCorrection, `expected a correction by the author of ${m.corrects} (${target.authorId}), found ${m.authorId}`);
    }
    remember(m);
  }
  return out;
}
