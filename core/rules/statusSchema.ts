// ccr/status-schema (SPEC 6): the status file keeps its schema. The schema itself is checked by the
// status reader (core/status.ts); this file judges a record whose status before a commit cannot be read.

import { STATUS_FILE } from '../layout.js';
import { defineRule } from './define.js';

/** A record whose status file before the commit is unreadable (or missing) takes no change. */
export const statusSchemaUnjudged = defineRule({
  id: 'ccr/status-schema', scope: 'unjudged',
  check(u, _ctx, report) {
    if (u.what !== 'status') return;
    report(`expected ${STATUS_FILE} before this commit to be readable, found one that is not (or none): the record takes no change`, { path: u.path });
  },
});
