// ccr/ref-name (SPEC 8): a push changes only `main`, named by full object ids.

import { isOid } from '../objects.js';
import { defineRule } from './define.js';

/** The one ref of a record (git/refs.ts names it for the git side; core reads no git module). */
export const MAIN_REF = 'refs/heads/main';

/** Only `main` changes. */
export const refNameOnlyMain = defineRule({
  id: 'ccr/ref-name',
  scope: 'ref',
  check(u, _ctx, report) {
    if (u.ref !== MAIN_REF) report(`expected only ${MAIN_REF} to change, found ${u.ref}`);
  },
});

/** The update names full object ids (judged after deletion and creation, which have a zero id). */
export const refNameFullIds = defineRule({
  id: 'ccr/ref-name',
  scope: 'ref',
  check(u, _ctx, report) {
    if (!isOid(u.old) || !isOid(u.new)) report('expected full object ids in the update');
  },
});

/** A history to verify with no commit on `main`. */
export const refNameHistory = defineRule({
  id: 'ccr/ref-name',
  scope: 'history',
  check(h, _ctx, report) {
    if (h.problem === 'no-main') report('expected a `main` with at least one commit');
  },
});
