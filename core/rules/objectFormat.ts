// ccr/object-format (SPEC 8): git objects as git fsck reads them. A commit that cannot be read
// cannot be followed to its parents; it is refused for what it is.

import { defineRule } from './define.js';

/** A commit met by the walk over a push, or judged by the evaluator, is malformed. */
export const objectFormatWalk = defineRule({
  id: 'ccr/object-format', scope: 'walk',
  check(w, _ctx, report) {
    if (w.outcome === 'unreadable-commit') report(w.problem, { commit: w.oid });
  },
});
