// ccr/status-format (SPEC 8): COORDINATION_STATUS.yaml is UTF-8 strict YAML without forbidden characters.
// The reader finds these as data (core/problems.ts); this file gives them their id.

import { defineRule } from './define.js';

/** A COORDINATION_STATUS.yaml that cannot be read as strict YAML. */
export const statusFormat = defineRule({
  id: 'ccr/status-format',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'status' && p.kind === 'format') report(p.message, p);
  },
});
