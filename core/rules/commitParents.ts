// ccr/commit-parents (SPEC 8, 10): one parent; a record's first commit has none where one is
// expected; merge commits only as the deterministic sync merge, and only from those whose rights
// allow merging (a site, or the server's own sync round, which judges with no principal).

import { error, type Finding } from '../findings.js';
import type { Principal } from '../principal.js';
import { rightsOf } from '../rights.js';
import { defineRule } from './define.js';

/**
 * Merge commits reach `main` only through sync between sites: a principal with the `merge` right
 * or the server's own round (no principal, as the offline verifier). From any other principal a
 * merge is refused whatever it holds: its sides would be judged only against their own, possibly
 * old, parents.
 */
export function mayMerge(principal: Principal | undefined): boolean {
  return principal === undefined || rightsOf(principal).merge;
}

/** Why a merge pushed by a principal that may not merge is refused. */
function mergeRefusal(p: Principal): string {
  const why =
    'expected one parent: merge commits reach main only through sync between sites, ' +
    `found a merge pushed by ${p.kind} ${p.name}`;
  return `${why} (rebase your commits on main and push again)`;
}

/** A commit's parents: too many, a merge from one who may not merge, or none where one is expected. */
export const commitParents = defineRule({
  id: 'ccr/commit-parents',
  scope: 'parents',
  check({ parents, allowRoot, judgesMerges }, ctx, report) {
    if (parents === 2 && ctx.principal && !mayMerge(ctx.principal)) report(mergeRefusal(ctx.principal));
    else if (parents === 2 && judgesMerges) return;
    else if (parents > 1)
      report(`expected one parent (merges are accepted only as the deterministic sync merge), found ${parents}`);
    else if (parents === 0 && !allowRoot) report('expected one parent, found a commit without parents');
  },
});

/** The refusal of a merge pushed by a principal that may not merge (a view push's translation reports it too). */
export function mergeRefused(p: Principal): Finding {
  return error(commitParents.id, mergeRefusal(p));
}

/** A view push holding a merge (SPEC 12): a view is pushed as a line of commits. */
export const commitParentsView = defineRule({
  id: 'ccr/commit-parents',
  scope: 'walk',
  check(w, _ctx, report) {
    if (w.outcome !== 'view-merge') return;
    report(
      `expected one parent, found a merge of ${w.parents}: a view is pushed as a line of commits on the view you fetched; rebase instead`,
      { commit: w.at },
    );
  },
});

/** A history with other than one first commit (a shallow one may have none). */
export const commitParentsHistory = defineRule({
  id: 'ccr/commit-parents',
  scope: 'history',
  check(h, _ctx, report) {
    if (h.problem === 'roots') report(`expected one first commit, found ${h.count}`, { commit: h.at });
  },
});
