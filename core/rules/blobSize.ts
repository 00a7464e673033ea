// ccr/blob-size (SPEC 8): a file read with a size cap (messages.md, ledger.yaml, the status) is no larger than it.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A file larger than the cap it is read with. */
export const blobSize = defineRule({
  id: 'ccr/blob-size',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.kind === 'too-large') report(p.message, p);
  },
});
