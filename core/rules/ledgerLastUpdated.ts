// ccr/ledger-last-updated (SPEC 8): last_updated_at is no earlier than created_at or any message,
// never goes back, and does not run ahead of the server clock.

import { parseTimestamp } from '../ids.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';
import { CLOCK_SKEW_MS, judged } from './context.js';
import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** last_updated_at no earlier than created_at, on any ledger. */
export const ledgerLastUpdatedState = defineRule({
  id: 'ccr/ledger-last-updated',
  scope: 'ledger',
  check({ path, ledger: l }, _ctx, report) {
    if ((parseTimestamp(l.last_updated_at) ?? 0) < (parseTimestamp(l.created_at) ?? 0)) {
      report(`expected last_updated_at no earlier than created_at ${l.created_at}, found ${l.last_updated_at}`, {
        path,
      });
    }
  },
});

/**
 * last_updated_at no later than the server clock allows. Bounded only when it moves: a value
 * already beyond the clock (accepted before this bound existed) is kept, since it may never
 * decrease, and the service writes past it.
 */
export const ledgerLastUpdatedClock = defineRule({
  id: 'ccr/ledger-last-updated',
  scope: 'thread',
  check(t, ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (!l) return;
    const moved = t.created || !old || old.last_updated_at !== l.last_updated_at;
    if (moved && ctx.now !== undefined && (parseTimestamp(l.last_updated_at) ?? 0) > ctx.now + CLOCK_SKEW_MS) {
      report(`expected last_updated_at no later than 5 minutes after the server time, found ${l.last_updated_at}`, {
        path: threadFilePath(t.threadId, LEDGER_FILE),
      });
    }
  },
});

/** A changed ledger's last_updated_at never goes back. */
export const ledgerLastUpdatedBack = defineRule({
  id: 'ccr/ledger-last-updated',
  scope: 'thread',
  check(t, _ctx, report) {
    const [old, l] = [judged(t.oldLedger), judged(t.newLedger)];
    if (t.created || !old || !l || !t.ledgerChanged) return;
    if (old.last_updated_at > l.last_updated_at) {
      report(`expected last_updated_at never to go back, found ${l.last_updated_at} after ${old.last_updated_at}`, {
        path: threadFilePath(t.threadId, LEDGER_FILE),
      });
    }
  },
});

/** The ledger's last_updated_at no earlier than an appended message's timestamp. */
export const ledgerLastUpdatedMessage = defineRule({
  id: 'ccr/ledger-last-updated',
  scope: 'message',
  check({ thread: t, ledger, message: m }, _ctx, report) {
    if ((parseTimestamp(m.timestamp) ?? 0) > (parseTimestamp(ledger.last_updated_at) ?? 0)) {
      report(
        `expected the ledger's last_updated_at (${ledger.last_updated_at}) to be no earlier than message timestamp ${m.timestamp}`,
        messagePlace(t.threadId, m),
      );
    }
  },
});
