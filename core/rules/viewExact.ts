// ccr/view-exact (SPEC 12): each commit pushed from a view is exactly the view of its translation
// onto main, with no header but a signature.

import { defineRule } from './define.js';

const short = (oid: string) => oid.slice(0, 12);

/** A pushed view commit whose translation would not give it back. */
export const viewExact = defineRule({
  id: 'ccr/view-exact',
  scope: 'view-exact',
  check(v, _ctx, report) {
    if (v.problem === 'headers') report(v.reason, { commit: v.commit });
    else if (v.problem === 'changes-nothing') {
      report(
        `expected commit ${short(v.commit)} to change what your view shows, found that it changes nothing there ` +
          '(an empty commit, or a change that leaves your view)',
        { commit: v.commit },
      );
    } else {
      report(
        `expected your commit ${short(v.commit)} to be the view of its translation, found ${short(v.got)}: ` +
          'something it changes would not be in your view as pushed ' +
          '(a thread you do not take part in, a file out of place)',
        { commit: v.commit },
      );
    }
  },
});
