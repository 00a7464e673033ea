// Judging what a peer sends: every commit it has and we do not, oldest first, with the rules and
// the server clock, as a push is judged. A server runs this on its validator threads, within the
// push budget (a peer's huge or deeply nested commit cannot stall the event loop or hold a round
// past it); `ccr sync` runs it in its own process.

import { evaluateCommit, EvaluationCache } from '../core/evaluate.js';
import { errorsOf, type Finding } from '../core/findings.js';
import type { RecordId } from '../core/ids.js';
import { parseCommit, type Oid } from '../core/objects.js';
import { oidsOfLine } from '../git/oidLines.js';
import { commitSignatureFinding } from '../core/rules/commitSignature.js';
import { CatFileSource } from '../git/catfile.js';
import { gitMergeBase } from '../git/mergeBase.js';
import { runGit } from '../git/run.js';

/** What a peer's commits are judged from: the repository holding them, our main and theirs. */
export interface IncomingInput {
  kind: 'incoming';
  gitdir: string;
  recordId: RecordId;
  /** Our main. */
  from: Oid;
  /** The peer's main. */
  to: Oid;
  /** Server time in ms. */
  now: number;
  gitEnv: NodeJS.ProcessEnv;
}

/**
 * The `ccr/commit-signature` refusal of a peer's commit whose signature is there and does not
 * verify (malformed, another namespace, bad): signatures are checked on what a round fetches as on
 * what a push brings. Who signed is not judged here: the signers' keys are registered at the peer.
 */
async function badSignature(source: CatFileSource, oid: Oid, now: number): Promise<Finding | null> {
  const o = await source.read(oid);
  const commit = o ? parseCommit(o.content) : null;
  if (!o || !commit) return null; // the rules refuse what cannot be read
  const found = commitSignatureFinding(o.content, commit.committer.timestamp, {
    pusher: 'the peer',
    required: false,
    key: () => null,
    now,
  });
  return found ? { ...found, commit: oid } : null;
}

/** The error findings of the peer's new commits (none: all good) and how many were judged. */
export async function judgeIncoming(input: IncomingInput): Promise<{ findings: Finding[]; commits: number }> {
  const listed = await runGit(
    ['--git-dir', input.gitdir, 'rev-list', '--topo-order', '--reverse', input.to, `^${input.from}`],
    { env: input.gitEnv },
  );
  const list = listed.stdout
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => oidsOfLine(l, 'git rev-list'));
  const source = new CatFileSource(input.gitdir);
  try {
    const cache = new EvaluationCache();
    const mergeBase = gitMergeBase(input.gitdir, input.gitEnv);
    for (const [i, oid] of list.entries()) {
      const bad = await badSignature(source, oid, input.now);
      if (bad) return { findings: [bad], commits: i + 1 };
      const found = await evaluateCommit(source, oid, { recordId: input.recordId, cache, mergeBase, now: input.now });
      const errors = errorsOf(found);
      if (errors.length > 0) return { findings: errors, commits: i + 1 };
    }
    return { findings: [], commits: list.length };
  } finally {
    source.close();
  }
}
