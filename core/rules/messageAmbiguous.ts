// ccr/message-ambiguous (SPEC 8): a markdown reader reads messages.md as the byte grammar does, with nothing structural in a body.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A messages.md a markdown reader reads otherwise than the byte grammar. */
export const messageAmbiguous = defineRule({
  id: 'ccr/message-ambiguous',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'messages' && p.kind === 'ambiguous') report(p.message, p);
  },
});
