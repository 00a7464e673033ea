// ccr/message-limits (SPEC 8): messages.md keeps its limits: line length, body size, nesting, emphasis markers.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A limit of messages.md passed. */
export const messageLimits = defineRule({
  id: 'ccr/message-limits',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'messages' && p.kind === 'limits') report(p.message, p);
  },
});
