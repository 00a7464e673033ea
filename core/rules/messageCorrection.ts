// ccr/message-correction (SPEC 8): a correction names an earlier non-system message of its own author.

import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** A correction of a message that is not there, is a system message, or is someone else's. */
export const messageCorrection = defineRule({
  id: 'ccr/message-correction',
  scope: 'message',
  check({ thread, message: m, seen }, _ctx, report) {
    if (m.corrects === undefined) return;
    const where = messagePlace(thread.threadId, m);
    // A sync merge may hold two blocks with one id (docs/decisions.md, 19.6): the author's is meant.
    const targets = seen.get(m.corrects);
    const target = targets?.find((x) => x.authorId === m.authorId) ?? targets?.[0];
    if (!target) report(`expected the corrected message ${m.corrects} earlier in this thread`, where);
    else if (target.type === 'system')
      report(`expected a correction of a non-system message, found ${m.corrects} of type system`, where);
    else if (target.authorId !== m.authorId)
      report(`expected a correction by the author of ${m.corrects} (${target.authorId}), found ${m.authorId}`, where);
  },
});

/** A correction the service refused for its author. */
export const messageCorrectionWrite = defineRule({
  id: 'ccr/message-correction',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused === 'author' && w.change === 'correction') report(w.reason);
  },
});
