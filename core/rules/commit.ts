// Commit rules (SPEC 7–8): message grammar, action, one parent, commit time.

import { parseCommitMessage } from '../commitMessage.js';
import { error, ruleIds, type Finding } from '../findings.js';
import { CLOCK_SKEW_MS, type CommitChanges, type RuleContext } from './context.js';

/** Judge the commit object itself. Merge commits are judged by the merge rule, not here. */
export function commitRules(changes: CommitChanges, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const { commit } = changes;
  const parsed = parseCommitMessage(commit.message);
  if (!parsed.ok) out.push(error(ruleIds.commitFormat, parsed.problem));
  else {
    const creates = changes.createsRecord || changes.threads.some((t) => t.created);
    const expected = creates ? 'create' : 'update';
    if (parsed.value.action !== expected) {
      out.push(error(ruleIds.commitAction, `expected \`coordination:${expected}:\` because the commit ${creates ? 'creates a record or thread' : 'creates no record or thread'}, found \`coordination:${parsed.value.action}:\``));
    }
  }
  if (ctx.now !== undefined && commit.committer.timestamp * 1000 > ctx.now + CLOCK_SKEW_MS) {
    out.push(error(ruleIds.commitTime, `expected a commit time no later than 5 minutes after the server time, found ${new Date(commit.committer.timestamp * 1000).toISOString()}`));
  }
  return out;
}
