// ccr/ref-create (SPEC 8): records are created by the server, so a push never creates `main`.

import { defineRule } from './define.js';
import { MAIN_REF } from './refName.js';
import { ZERO_OID } from './zeroOid.js';

/** A push that creates `main` is refused. */
export const refCreate = defineRule({
  id: 'ccr/ref-create',
  scope: 'ref',
  check(u, _ctx, report) {
    if (u.old === ZERO_OID)
      report(`expected ${MAIN_REF} to exist already: records are created by the server, not by a push`);
  },
});
