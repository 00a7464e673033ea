// ccr/status-schema (SPEC 6): the status file keeps its schema. The schema is checked by the status
// reader (core/status.ts), whose problems get their id here, as does a record whose status before
// a commit cannot be read.

import { STATUS_FILE } from '../layout.js';
import { defineRule } from './define.js';

/** A record whose status file before the commit is unreadable (or missing) takes no change. */
export const statusSchemaUnjudged = defineRule({
  id: 'ccr/status-schema',
  scope: 'unjudged',
  check(u, _ctx, report) {
    if (u.what !== 'status') return;
    report(
      `expected ${STATUS_FILE} before this commit to be readable, found one that is not (or none): the record takes no change`,
      { path: u.path },
    );
  },
});

/** A COORDINATION_STATUS.yaml that does not keep its JSON Schema, as the reader found it (core/status.ts). */
export const statusSchemaRead = defineRule({
  id: 'ccr/status-schema',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'status' && p.kind === 'schema') report(p.message, p);
  },
});
