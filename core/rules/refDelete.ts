// ccr/ref-delete (SPEC 8): `main` is never deleted.

import { defineRule } from './define.js';
import { MAIN_REF } from './refName.js';
import { ZERO_OID } from './zeroOid.js';

/** A push that deletes `main` is refused. */
export const refDelete = defineRule({
  id: 'ccr/ref-delete',
  scope: 'ref',
  check(u, _ctx, report) {
    if (u.new === ZERO_OID) report(`expected ${MAIN_REF} never to be deleted`);
  },
});
