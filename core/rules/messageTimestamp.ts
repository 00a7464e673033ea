// ccr/message-timestamp (SPEC 8): no earlier than the thread's creation, no later than the server clock allows.

import { parseTimestamp } from '../ids.js';
import { CLOCK_SKEW_MS } from './context.js';
import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** A timestamp before the thread's created_at. */
export const messageTimestampCreated = defineRule({
  id: 'ccr/message-timestamp',
  scope: 'message',
  check({ thread, ledger, message: m }, _ctx, report) {
    if ((parseTimestamp(m.timestamp) ?? 0) < (parseTimestamp(ledger.created_at) ?? 0)) {
      report(
        `expected a timestamp no earlier than the thread's created_at ${ledger.created_at}, found ${m.timestamp}`,
        messagePlace(thread.threadId, m),
      );
    }
  },
});

/** A timestamp more than 5 minutes ahead of the server clock, where it is known. */
export const messageTimestampClock = defineRule({
  id: 'ccr/message-timestamp',
  scope: 'message',
  check({ thread, message: m }, ctx, report) {
    if (ctx.now !== undefined && (parseTimestamp(m.timestamp) ?? 0) > ctx.now + CLOCK_SKEW_MS) {
      report(
        `expected a timestamp no later than 5 minutes after the server time, found ${m.timestamp}`,
        messagePlace(thread.threadId, m),
      );
    }
  },
});
