// ccr/ref-fast-forward (SPEC 8): a push moves `main` forward from where it was, by a bounded
// number of commits (a view push: on the view the pusher fetched). The walks (server/validator.ts,
// core/views/translate.ts) give how they ended, as data.

import { defineRule } from './define.js';

/** The walk from the pushed tip passed the bound, or never reached the old tip. */
export const refFastForward = defineRule({
  id: 'ccr/ref-fast-forward',
  scope: 'walk',
  check(w, _ctx, report) {
    if (w.outcome === 'too-many') report(`expected at most ${w.max} new commits in one push, found more`);
    if (w.outcome === 'view-moved') {
      report(
        `expected a push on your view at ${w.view.slice(0, 12)}, found one on ${w.old.slice(0, 12)}: ` +
          'your view moved since you fetched it; fetch and push again',
      );
    }
    if (w.outcome === 'view-not-on')
      report(`expected commits on your view ${w.old.slice(0, 12)}, found a history that does not contain it`, {
        commit: w.at,
      });
    if (w.outcome === 'not-fast-forward') {
      report(
        `expected a fast-forward of main from ${w.old.slice(0, 12)}, found a history that does not contain it (fetch, rebase your new commits on main, and push again)`,
      );
    }
  },
});

/** A push judged on a `main` that another write moved before the push could take it. */
export const refFastForwardOvertaken = defineRule({
  id: 'ccr/ref-fast-forward',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused !== 'main-moved') return;
    report(`expected main at ${w.expected.slice(0, 12)}, found ${w.found?.slice(0, 12) ?? 'none'}: ${w.why}`, {
      path: w.ref,
    });
  },
});
