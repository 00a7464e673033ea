// Merge judging (SPEC 10): who may push a merge, and whether a merge is exactly the
// deterministic sync merge of its parents.

import { error, ruleIds, type Finding } from '../findings.js';
import type { Commit, Oid } from '../objects.js';
import { buildSyncMerge } from '../mergeCommit.js';
import type { Principal } from '../principal.js';
import { rightsOf } from '../rights.js';
import type { ObjectSource } from '../source.js';
import { decodeUtf8 } from '../text.js';
import { addCommitSignature, extractCommitSignature } from '../ssh/commitSignature.js';

/**
 * A merge is accepted only if it is exactly the deterministic sync merge of its parents (SPEC 10):
 * same tree, same parents in the same order, same author, committer, time and message. Its
 * parents were judged on their own; the files the merge computed keep the file rules, or the
 * merge cannot be built (core/mergeCommit.ts) and those rules' findings are the verdict.
 */
export async function judgeMerge(source: ObjectSource, oid: Oid, commit: Commit, mergeBase: (a: Oid, b: Oid) => Promise<Oid | null>): Promise<Finding[]> {
  const [a, b] = commit.parents as [Oid, Oid];
  const expected = await buildSyncMerge(source, a, b, await mergeBase(a, b));
  if (!expected.ok) {
    return expected.findings ?? [error(ruleIds.merge, `expected parents that merge deterministically, found ${expected.conflict}`)];
  }
  if (expected.value.oid === oid) return [];
  // The site that built it may have signed it: one gpgsig header, which is not part of the
  // determinism; the commit less that header must be the deterministic merge (the signature
  // itself is judged by ccr/commit-signature, as any commit's).
  const raw = await source.read(oid);
  const split = raw ? extractCommitSignature(raw.content) : null;
  if (split?.headers === 1 && split.signature && isSignedAs(raw!.content, expected.value.commit, split.signature)) return [];
  // One reason, decided by the commit alone: only a merge that differs in nothing but its parents'
  // order is said to be misordered (so the reason does not turn on which parent id sorts first).
  const swapped = raw ? Buffer.from(raw.content).toString('latin1').replace(`parent ${a}\nparent ${b}\n`, `parent ${b}\nparent ${a}\n`) : '';
  const why = expected.value.tree !== commit.tree ? 'its files differ from the merged files'
    : a > b && swapped === Buffer.from(expected.value.commit).toString('latin1') ? 'its parents are not ordered by commit id'
      : 'its author, committer, time or message differ';
  return [error(ruleIds.merge, `expected exactly the deterministic sync merge ${expected.value.oid.slice(0, 12)} of ${a.slice(0, 12)} and ${b.slice(0, 12)}, found a merge whose ${why.replace(/^its /, '')}`)];
}

/** Whether `content` is exactly `unsigned` with the armoured `signature` inserted as git inserts it. */
function isSignedAs(content: Uint8Array, unsigned: Uint8Array, signature: Uint8Array): boolean {
  try {
    return Buffer.compare(addCommitSignature(unsigned, decodeUtf8(signature) ?? ''), content) === 0;
  } catch {
    return false;
  }
}

/**
 * Merge commits reach `main` only through sync between sites: a `site` principal's push or the
 * server's own round (which judges with no principal, as the offline verifier does). From any
 * other principal a merge is refused whatever it holds: its sides would be judged only against
 * their own, possibly old, parents.
 */
export function mayMerge(principal: Principal | undefined): boolean {
  return principal === undefined || rightsOf(principal).merge;
}

/** The refusal of a merge pushed by a principal that may not merge (any but a site). */
export function mergeRefused(p: Principal): Finding {
  const why = 'expected one parent: merge commits reach main only through sync between sites, '
    + `found a merge pushed by ${p.kind} ${p.name}`;
  return error(ruleIds.commitParents, `${why} (rebase your commits on main and push again)`);
}
