// ccr/who-participant (SPEC 8): a ledger entry whose participant_id is bound to a participant
// principal carries that principal's role and display name, whoever writes it: no one lists
// Bob's id as "Dr Jane Smith". Only entries the commit adds or changes are judged. Not for
// principals whose rights say their entries are not bound here (a peer site judged its own
// writes with its own principals).

import { findParticipant } from '../ledger.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';
import { judged } from './context.js';

/** An added or changed entry that names a bound participant id otherwise than its principal. */
export const whoParticipant = defineRule({
  id: 'ccr/who-participant',
  scope: 'thread',
  check(t, ctx, report) {
    const bound = ctx.bindings;
    if (!bound || (ctx.principal && !rightsOf(ctx.principal).boundEntries)) return;
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (!l || (!t.created && !t.ledgerChanged)) return;
    for (const entry of l.participants) {
      const before = old && findParticipant(old, entry.participant_id);
      if (before && before.role === entry.role && before.display_name === entry.display_name) continue;
      const bindings = bound(entry.participant_id);
      if (bindings.length === 0 || bindings.some((b) => b.role === entry.role && b.displayName === entry.display_name))
        continue;
      const b = bindings[0]!;
      const [expected, found] = [
        `${b.role} ${JSON.stringify(b.displayName)}`,
        `${entry.role} ${JSON.stringify(entry.display_name)}`,
      ];
      report(
        `expected participant ${entry.participant_id} as its participant principal ${b.name} is: ${expected}, found ${found}`,
        { path: threadFilePath(t.threadId, LEDGER_FILE) },
      );
    }
  },
});
