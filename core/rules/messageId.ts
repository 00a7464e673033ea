// ccr/message-id (SPEC 8): a message id is used once in its thread.

import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** An appended message whose id an earlier block (or one appended before it) has. */
export const messageId = defineRule({
  id: 'ccr/message-id',
  scope: 'message',
  check({ thread, message: m, seen }, _ctx, report) {
    if (seen.has(m.id))
      report(
        `expected a message id not used before in the thread, found ${m.id} again`,
        messagePlace(thread.threadId, m),
      );
  },
});
