// Merge judging (SPEC 10): whether a merge is exactly the deterministic sync merge of its parents
// (who may push one is ccr/commit-parents', core/rules/commitParents.ts).

import type { Finding } from '../findings.js';
import { merge } from '../rules/merge.js';
import type { Commit, Oid } from '../objects.js';
import { buildSyncMerge } from '../mergeCommit.js';
import type { ObjectSource } from '../source.js';
import { decodeUtf8 } from '../text.js';
import { addCommitSignature, extractCommitSignature } from '../ssh/commitSignature.js';

/**
 * A merge is accepted only if it is exactly the deterministic sync merge of its parents (SPEC 10):
 * same tree, same parents in the same order, same author, committer, time and message. Its
 * parents were judged on their own; the files the merge computed keep the file rules, or the
 * merge cannot be built (core/mergeCommit.ts) and those rules' findings are the verdict.
 */
export async function judgeMerge(
  source: ObjectSource,
  oid: Oid,
  commit: Commit,
  mergeBase: (a: Oid, b: Oid) => Promise<Oid | null>,
): Promise<Finding[]> {
  const [a, b] = commit.parents as [Oid, Oid];
  const expected = await buildSyncMerge(source, a, b, await mergeBase(a, b));
  if (!expected.ok) {
    return expected.findings ?? merge.run({ outcome: 'conflict', conflict: expected.conflict }, {});
  }
  if (expected.value.oid === oid) return [];
  // The site that built it may have signed it: one gpgsig header, which is not part of the
  // determinism; the commit less that header must be the deterministic merge (the signature
  // itself is judged by ccr/commit-signature, as any commit's).
  const raw = await source.read(oid);
  const split = raw ? extractCommitSignature(raw.content) : null;
  if (split?.headers === 1 && split.signature && isSignedAs(raw!.content, expected.value.commit, split.signature))
    return [];
  // One reason, decided by the commit alone: only a merge that differs in nothing but its parents'
  // order is said to be misordered (so the reason does not turn on which parent id sorts first).
  const swapped = raw
    ? Buffer.from(raw.content).toString('latin1').replace(`parent ${a}\nparent ${b}\n`, `parent ${b}\nparent ${a}\n`)
    : '';
  const why =
    expected.value.tree !== commit.tree
      ? 'its files differ from the merged files'
      : a > b && swapped === Buffer.from(expected.value.commit).toString('latin1')
        ? 'its parents are not ordered by commit id'
        : 'its author, committer, time or message differ';
  return merge.run({ outcome: 'differs', expected: expected.value.oid, a, b, why: why.replace(/^its /, '') }, {});
}

/** Whether `content` is exactly `unsigned` with the armoured `signature` inserted as git inserts it. */
function isSignedAs(content: Uint8Array, unsigned: Uint8Array, signature: Uint8Array): boolean {
  try {
    return Buffer.compare(addCommitSignature(unsigned, decodeUtf8(signature) ?? ''), content) === 0;
  } catch {
    return false;
  }
}
