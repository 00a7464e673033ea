// ccr/object-format (SPEC 8): git objects as git fsck reads them. A commit that cannot be read
// cannot be followed to its parents; it is refused for what it is.

import { defineRule } from './define.js';

/** A commit met by the walk over a push, or judged by the evaluator, is malformed. */
export const objectFormatWalk = defineRule({
  id: 'ccr/object-format',
  scope: 'walk',
  check(w, _ctx, report) {
    if (w.outcome === 'unreadable-commit') report(w.problem, { commit: w.oid });
  },
});

/** A tree object git would not write (duplicate names, its order broken), as the object reader found it. */
export const objectFormatRead = defineRule({
  id: 'ccr/object-format',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'tree' && p.kind === 'malformed') report(p.message, p);
  },
});
