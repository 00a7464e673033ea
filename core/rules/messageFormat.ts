// ccr/message-format (SPEC 8): messages.md follows the byte grammar of SPEC 4 (fields, separators, values).
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A messages.md that breaks the byte grammar, or a message value it does not allow. */
export const messageFormat = defineRule({
  id: 'ccr/message-format',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'messages' && p.kind === 'format') report(p.message, p);
  },
});
