// ccr/message-chars (SPEC 8): messages.md is UTF-8 without forbidden characters, with visible text where text is expected.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A forbidden or missing character in messages.md (also as a markdown reader shows it). */
export const messageChars = defineRule({
  id: 'ccr/message-chars',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'messages' && p.kind === 'chars') report(p.message, p);
  },
});
