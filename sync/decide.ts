// What a sync round does once the peer's main is known (SPEC 10), as a pure function: no git, no
// network, no clock. The round (sync/round.ts) is the transport: it gathers the facts, asks git
// the questions this function asks for, one at a time, and carries out the decision. Questions are
// asked, not all answered up front, so a round runs no git command (and judges no commit) that
// its outcome does not need.

import type { Finding } from '../core/findings.js';
import type { Oid } from '../core/objects.js';

/** What is known about a round: the three tips, and the answers git gave so far. */
export interface RoundFacts {
  /** Our main. */
  local: Oid;
  /** The peer's main. */
  theirs: Oid;
  /** What both sites last agreed on (the peer's `synced` ref here), if they ever did. */
  agreed: Oid | null;
  /** Whether `agreed` is an ancestor of `theirs` (the peer kept what both held). */
  agreedInTheirs?: boolean;
  /** Whether `theirs` is an ancestor of `local` (we hold everything the peer has). */
  theirsInLocal?: boolean;
  /** The merge base of `local` and `theirs`; null when the histories are unrelated. */
  base?: Oid | null;
  /** What the rules found in the peer's commits between `local` and `theirs`, once judged. */
  findings?: readonly Finding[];
}

/** A question for the transport: the answer goes into the facts under the same name. */
export type Question = 'agreedInTheirs' | 'theirsInLocal' | 'base' | 'findings';

/** What to do next. */
export type Decision =
  /** Answer this question, then decide again. */
  | { kind: 'ask'; question: Question }
  /** Nothing to move; `agree` when the agreed tip is to be set to ours (it was not yet). */
  | { kind: 'in-sync'; agree: boolean }
  /** The peer dropped what both sites held: its history was rewritten. */
  | { kind: 'refused-rewrite'; agreed: Oid }
  /** The peer is behind us: push our main to it. */
  | { kind: 'push' }
  /** The peer's record shares no history with ours. */
  | { kind: 'refused-unrelated' }
  /** The rules refuse the peer's new commits. */
  | { kind: 'refused-invalid'; findings: readonly Finding[] }
  /** Only the peer has new commits, judged good: move our main to theirs. */
  | { kind: 'fast-forward' }
  /** Both have new commits, theirs judged good: build the merge on `base` and push it. */
  | { kind: 'merge'; base: Oid };

const ask = (question: Question): Decision => ({ kind: 'ask', question });

/** The next step of a round from what is known so far (call again after answering an `ask`). */
export function decideRound(f: RoundFacts): Decision {
  if (f.theirs === f.local && f.agreed === f.local) return { kind: 'in-sync', agree: false };
  if (f.agreed !== null && f.agreed !== f.theirs) {
    if (f.agreedInTheirs === undefined) return ask('agreedInTheirs');
    if (!f.agreedInTheirs) return { kind: 'refused-rewrite', agreed: f.agreed };
  }
  if (f.theirs === f.local) return { kind: 'in-sync', agree: true };
  if (f.theirsInLocal === undefined) return ask('theirsInLocal');
  if (f.theirsInLocal) return { kind: 'push' };
  if (f.base === undefined) return ask('base');
  if (f.base === null) return { kind: 'refused-unrelated' };
  if (f.findings === undefined) return ask('findings');
  if (f.findings.length > 0) return { kind: 'refused-invalid', findings: f.findings };
  return f.base === f.local ? { kind: 'fast-forward' } : { kind: 'merge', base: f.base };
}
