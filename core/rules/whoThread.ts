// ccr/who-thread (SPEC 9): a participant governs a thread only as a clinician or care
// administrator taking part in it.

import { findParticipant } from '../ledger.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { rightsOf } from '../rights.js';
import { governingRoles } from '../vocabulary.js';
import { defineRule } from './define.js';
import { governs } from './governs.js';
import { judged } from './context.js';

/** A participant principal creating or governing a thread it may not. */
export const whoThread = defineRule({
  id: 'ccr/who-thread',
  scope: 'thread',
  check(t, ctx, report) {
    const p = ctx.principal;
    if (!p || !rightsOf(p).write || !('participantId' in p) || !governs(t)) return;
    const ledger = judged(t.created ? t.newLedger : t.oldLedger);
    const self = ledger && findParticipant(ledger, p.participantId);
    if (!governingRoles.includes(p.role) || !self || !governingRoles.includes(self.role)) {
      const what = t.created
        ? 'create it'
        : 'change its participants, status, visibility, policies or (without a message) last_updated_at';
      report(
        `expected only a clinician or careadministrator participant of the thread to ${what}, found ${p.role} ${p.name}`,
        { path: threadFilePath(t.threadId, LEDGER_FILE) },
      );
    }
  },
});

/** A ledger change the service refused for its author (who may not govern the thread). */
export const whoThreadWrite = defineRule({
  id: 'ccr/who-thread',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused === 'author' && w.change === 'ledger') report(w.reason);
  },
});
