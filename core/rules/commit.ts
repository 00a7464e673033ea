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
  const late = ctx.now === undefined ? null : commitTimeFinding(commit.committer.timestamp, ctx.now);
  if (late) out.push(late);
  return out;
}

/** The `ccr/commit-time` finding for a commit time (seconds) later than `now` (ms) + 5 minutes, or null. */
export function commitTimeFinding(seconds: number, now: number): Finding | null {
  if (seconds * 1000 <= now + CLOCK_SKEW_MS) return null;
  const found = new Date(seconds * 1000).toISOString();
  const why = `expected a commit time no later than 5 minutes after the server time, found ${found}`;
  return error(ruleIds.commitTime, why);
}
