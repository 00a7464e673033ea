// ccr/ref-fast-forward (SPEC 8): a push moves `main` forward from where it was, by a bounded
// number of commits. The walk (server/validator.ts) gives how it ended, as data.

import { defineRule } from './define.js';

/** The walk from the pushed tip passed the bound, or never reached the old tip. */
export const refFastForward = defineRule({
  id: 'ccr/ref-fast-forward', scope: 'walk',
  check(w, _ctx, report) {
    if (w.outcome === 'too-many') report(`expected at most ${w.max} new commits in one push, found more`);
    if (w.outcome === 'not-fast-forward') {
      report(`expected a fast-forward of main from ${w.old.slice(0, 12)}, found a history that does not contain it (fetch, rebase your new commits on main, and push again)`);
    }
  },
});
