// Ledger rules (SPEC 8): identity, last_updated_at, status transitions, frozen threads, and the
// system message that must come with every change of an open thread's governance.

import { isDeepStrictEqual } from 'node:util';
import { error, ruleIds, type Finding } from '../findings.js';
import { parseTimestamp, threadIdTimestamp, type ThreadId } from '../ids.js';
import { governanceChanged } from '../ledger.js';
import { hasVisibleChar } from '../text.js';
import { describeMoves, mayMove } from '../vocabulary.js';
import type { Ledger } from '../ledger.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { CLOCK_SKEW_MS, type RuleContext, type ThreadChange } from './context.js';

/**
 * What any ledger of a thread must be on its own, whatever came before: its identity (thread_id
 * the folder name, created_at its time), last_updated_at no earlier than created_at, each
 * participant once. Judged on every changed ledger and on every ledger a sync merge computes.
 */
export function ledgerStateRules(threadId: string, path: string, l: Ledger): Finding[] {
  const out: Finding[] = [];
  const bad = (rule: Finding['rule'], message: string) => out.push(error(rule, message, { path }));
  if (l.thread_id !== threadId) bad(ruleIds.ledgerIdentity, `expected thread_id ${threadId} (the folder name), found ${l.thread_id}`);
  else if (l.created_at !== threadIdTimestamp(threadId as ThreadId)) {
    bad(ruleIds.ledgerIdentity, `expected created_at ${threadIdTimestamp(threadId as ThreadId)} (the thread id's time), found ${l.created_at}`);
  }
  if ((parseTimestamp(l.last_updated_at) ?? 0) < (parseTimestamp(l.created_at) ?? 0)) bad(ruleIds.ledgerLastUpdated, `expected last_updated_at no earlier than created_at ${l.created_at}, found ${l.last_updated_at}`);
  const ids = new Set<string>();
  for (const p of l.participants) {
    if (ids.has(p.participant_id)) bad(ruleIds.ledgerSchema, `expected each participant once, found ${p.participant_id} again`);
    if (!hasVisibleChar(p.display_name)) {
      bad(ruleIds.ledgerSchema, `expected a display name with a visible character for ${p.participant_id}, found only blank or invisible ones`);
    }
    ids.add(p.participant_id);
  }
  return out;
}

/** Judge one thread's ledger after the commit against the one before. */
export function ledgerRules(t: ThreadChange, ctx: RuleContext): Finding[] {
  const l = t.newLedger;
  if (!l) return [];
  const path = threadFilePath(t.threadId, LEDGER_FILE);
  const out = ledgerStateRules(t.threadId, path, l);
  const bad = (rule: Finding['rule'], message: string) => out.push(error(rule, message, { path }));
  // Bounded only when it moves: a value already beyond the clock (accepted before this bound
  // existed) is kept, since it may never decrease, and the service writes past it.
  const moved = t.created || !t.oldLedger || t.oldLedger.last_updated_at !== l.last_updated_at;
  if (moved && ctx.now !== undefined && (parseTimestamp(l.last_updated_at) ?? 0) > ctx.now + CLOCK_SKEW_MS) {
    bad(ruleIds.ledgerLastUpdated, `expected last_updated_at no later than 5 minutes after the server time, found ${l.last_updated_at}`);
  }
  if (t.created) {
    if (l.status !== 'open') bad(ruleIds.ledgerTransition, `expected a new thread to be open, found ${l.status}`);
    return out;
  }
  const old = t.oldLedger;
  if (!old || !t.ledgerChanged) return out;
  if (old.last_updated_at > l.last_updated_at) bad(ruleIds.ledgerLastUpdated, `expected last_updated_at never to go back, found ${l.last_updated_at} after ${old.last_updated_at}`);
  if (old.thread_id !== l.thread_id || old.created_at !== l.created_at) bad(ruleIds.ledgerIdentity, 'expected thread_id and created_at never to change');
  if (!mayMove(old.status, l.status)) bad(ruleIds.ledgerTransition, `expected status to move only ${describeMoves()}, found ${old.status}→${l.status}`);
  if (old.status === 'archived') bad(ruleIds.ledgerFrozen, 'expected no change to the ledger of an archived thread');
  else if (old.status === 'closed') {
    const { status: _a, last_updated_at: _b, ...before } = old;
    const { status: _c, last_updated_at: _d, ...after } = l;
    if (!isDeepStrictEqual(before, after)) bad(ruleIds.ledgerFrozen, 'expected a closed thread to change only its status to archived');
  } else if (governanceChanged(old, l) && !t.appended.some((m) => m.type === 'system')) {
    bad(ruleIds.ledgerSystemMessage, 'expected a `system` message appended in the same commit for a change of participants, status, visibility or policies');
  }
  return out;
}
