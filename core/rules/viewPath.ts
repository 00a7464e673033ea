// ccr/view-path (SPEC 12): a push from a participant's view changes only threads they take part
// in, and never tells them about threads out of sight beyond what they already knew.

import { COMMUNICATIONS } from '../layout.js';
import { defineRule } from './define.js';

/** What a view push changed where it may not (core/views/translate.ts finds it). */
export const viewPath = defineRule({
  id: 'ccr/view-path',
  scope: 'view-path',
  check(v, _ctx, report) {
    if (v.problem === 'not-a-folder')
      report('expected `communications` to be a folder of threads', { path: COMMUNICATIONS, commit: v.commit });
    // A name already used by a thread out of sight: refused without saying more than the pusher knew.
    else if (v.problem === 'id-in-use')
      report(`expected a new thread under an id not used in this record, found \`${v.name}\` in use`, {
        path: v.path,
        commit: v.commit,
      });
    else {
      report(
        'expected changes only to threads you take part in, found a change to a thread you no longer take part in',
        { path: v.path, commit: v.commit },
      );
    }
  },
});
