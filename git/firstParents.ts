// The first-parent chain from a commit back to an older one, read in process: what
// `git rev-list --first-parent --reverse old..head` gives when `old` is on that chain a few steps
// back (the case after every push and write), without starting git. A spawn costs the server's
// event loop 1–17 ms, growing with its memory (issue 17); this read costs a few object reads.

import type { Oid } from '../core/objects.js';
import { readCommit, type ObjectSource } from '../core/source.js';

/** How far back the chain is followed before git is asked instead (a long catch-up, a history rewritten). */
export const FIRST_PARENT_STEPS = 64;

/**
 * The commits after `old` up to `head` along first parents, oldest first, when `old` is on head's
 * first-parent chain within `steps` commits (`old` null: when the whole chain is that short); else
 * null, and the caller asks git (which also knows what to do when `old` is missing or elsewhere).
 */
export async function firstParentsSince(
  source: ObjectSource,
  old: Oid | null,
  head: Oid,
  steps = FIRST_PARENT_STEPS,
): Promise<Oid[] | null> {
  const chain: Oid[] = [];
  let at: Oid | undefined = head;
  try {
    while (at !== undefined && at !== old) {
      if (chain.length >= steps) return null;
      const commit = await readCommit(source, at);
      if (!commit) return null;
      chain.push(at);
      at = commit.parents[0];
    }
  } catch {
    return null; // a missing or unreadable object: git says what it is
  }
  if (at === undefined && old !== null) return null; // reached a root without meeting `old`
  return chain.reverse();
}
