// ccr/ledger-format (SPEC 8): ledger.yaml is UTF-8 strict YAML without forbidden characters.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A ledger.yaml that cannot be read as strict YAML. */
export const ledgerFormat = defineRule({
  id: 'ccr/ledger-format',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'ledger' && p.kind === 'format') report(p.message, p);
  },
});
