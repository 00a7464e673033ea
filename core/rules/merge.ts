// ccr/merge (SPEC 10): a merge is exactly the deterministic sync merge of its parents. The merge
// judge (core/evaluate/judgeMerge.ts) builds it and compares; this rule says what it found.

import { defineRule } from './define.js';

/** Parents that do not merge deterministically, or a merge that is not the deterministic one. */
export const merge = defineRule({
  id: 'ccr/merge',
  scope: 'merge',
  check(m, _ctx, report) {
    if (m.outcome === 'conflict') report(`expected parents that merge deterministically, found ${m.conflict}`);
    else
      report(
        `expected exactly the deterministic sync merge ${m.expected.slice(0, 12)} of ${m.a.slice(0, 12)} and ${m.b.slice(0, 12)}, found a merge whose ${m.why}`,
      );
  },
});
