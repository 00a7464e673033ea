// Merge bases and ancestry from git itself (`git merge-base`), for judging pushes and building sync
// merges: every site asks git the same question of the same history and gets the same answer.

import { isOid, type Oid } from '../core/objects.js';
import { runGit } from './run.js';

/** A function giving the merge base of two commits in a repository, or null when they share none. */
export function gitMergeBase(gitdir: string, env: NodeJS.ProcessEnv): (a: Oid, b: Oid) => Promise<Oid | null> {
  return async (a, b) => {
    const r = await runGit(['--git-dir', gitdir, 'merge-base', a, b], { env });
    const out = r.stdout.toString().trim();
    if (r.code === 1 && out === '') return null;
    if (r.code !== 0 || !isOid(out)) throw new Error(`git merge-base failed: ${r.stderr.trim()}`);
    return out;
  };
}

/**
 * A function telling whether commit `a` is an ancestor of (or is) commit `b`. Any failure of git
 * answers false, the cautious answer for every caller (judge the commit, do not fast-forward).
 */
export function gitIsAncestor(gitdir: string, env: NodeJS.ProcessEnv): (a: Oid, b: Oid) => Promise<boolean> {
  return async (a, b) => (await runGit(['--git-dir', gitdir, 'merge-base', '--is-ancestor', a, b], { env })).code === 0;
}
