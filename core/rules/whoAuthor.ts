// ccr/who-author (SPEC 9): a participant pushes only messages of their own.

import { MESSAGES_FILE, threadFilePath } from '../layout.js';
import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';

/** Messages by another author in a push by a participant principal. */
export const whoAuthor = defineRule({
  id: 'ccr/who-author',
  scope: 'thread',
  check(t, ctx, report) {
    const p = ctx.principal;
    // Only a principal that is a participant id is bound to its own messages.
    if (!p || !rightsOf(p).write || !('participantId' in p)) return;
    for (const m of t.appended) {
      if (m.authorId !== p.participantId) {
        report(
          `expected messages by ${p.participantId} (the pushing participant ${p.name}), found one by ${m.authorId}`,
          { path: threadFilePath(t.threadId, MESSAGES_FILE), messageId: m.id, line: m.line },
        );
      }
    }
  },
});
