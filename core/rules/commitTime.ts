// ccr/commit-time (SPEC 8): a commit time no later than 5 minutes after the server time.

import { error, type Finding } from '../findings.js';
import { CLOCK_SKEW_MS } from './context.js';
import { defineRule } from './define.js';

/** Why a commit time (seconds) is too late against `now` (ms), or null. */
function lateness(seconds: number, now: number): string | null {
  if (seconds * 1000 <= now + CLOCK_SKEW_MS) return null;
  return `expected a commit time no later than 5 minutes after the server time, found ${new Date(seconds * 1000).toISOString()}`;
}

/** The committer time of a commit, where the clock is known. */
export const commitTime = defineRule({
  id: 'ccr/commit-time',
  scope: 'commit',
  check(c, ctx, report) {
    const late = ctx.now === undefined ? null : lateness(c.commit.committer.timestamp, ctx.now);
    if (late) report(late);
  },
});

/** The `ccr/commit-time` finding for a commit time (seconds) later than `now` (ms) + 5 minutes, or null (the API's check of a time it is given). */
export function commitTimeFinding(seconds: number, now: number): Finding | null {
  const late = lateness(seconds, now);
  return late ? error(commitTime.id, late) : null;
}
