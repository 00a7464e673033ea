// ccr/commit-format (SPEC 7): the commit message's grammar.

import { parseCommitMessage } from '../commitMessage.js';
import { defineRule } from './define.js';

/** The commit message parses. Merge commits are judged by the merge rule, not here. */
export const commitFormat = defineRule({
  id: 'ccr/commit-format',
  scope: 'commit',
  check(c, _ctx, report) {
    const parsed = parseCommitMessage(c.commit.message);
    if (!parsed.ok) report(parsed.problem);
  },
});
