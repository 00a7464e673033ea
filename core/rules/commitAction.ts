// ccr/commit-action (SPEC 7): `create` for a commit that creates a record or thread, else `update`.

import { parseCommitMessage } from '../commitMessage.js';
import { defineRule } from './define.js';

/** The action of a well-formed commit message matches what the commit does. */
export const commitAction = defineRule({
  id: 'ccr/commit-action',
  scope: 'commit',
  check(c, _ctx, report) {
    const parsed = parseCommitMessage(c.commit.message);
    if (!parsed.ok) return;
    const creates = c.createsRecord || c.threads.some((t) => t.created);
    const expected = creates ? 'create' : 'update';
    if (parsed.value.action !== expected) {
      report(
        `expected \`coordination:${expected}:\` because the commit ${creates ? 'creates a record or thread' : 'creates no record or thread'}, found \`coordination:${parsed.value.action}:\``,
      );
    }
  },
});
