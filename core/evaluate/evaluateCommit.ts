// The evaluator: judges one commit against its parent. It reads the commit's changes as data
// (readChanges.ts), runs the rule index over them by scope (runRules.ts), and stamps each finding
// with the commit. Merges are judged in judgeMerge.ts.

import { verdict, type Finding, type Verdict } from '../findings.js';
import { commitParents } from '../rules/commitParents.js';
import { objectFormatWalk } from '../rules/objectFormat.js';
import type { Oid } from '../objects.js';
import type { ObjectSource } from '../source.js';
import type { RuleContext } from '../rules/context.js';
import { EvaluationCache } from './cache.js';
import { judgeMerge } from './judgeMerge.js';
import { Reader } from './objectReader.js';
import { readChanges } from './readChanges.js';
import { judgeChanges, judgeRead } from './runRules.js';

/** Options of one evaluation: the rule context, whether a root commit is expected, a cache. */
export interface EvaluateOptions extends RuleContext {
  /** Accept a commit without parents as the record's first (the verifier's first commit). */
  allowRoot?: boolean;
  cache?: EvaluationCache;
  /** The merge base of two commits (git's), for judging sync merges; without it merges are refused. */
  mergeBase?: (a: Oid, b: Oid) => Promise<Oid | null>;
}

/**
 * Read a commit and its root tree into the cache ahead of its evaluation: a history walk calls it
 * for the next commits so their reads overlap with the current commit's work.
 */
export async function prefetch(source: ObjectSource, cache: EvaluationCache, oid: Oid): Promise<void> {
  const r = new Reader(source, cache);
  const commit = await r.commit(oid);
  if (commit) await r.tree(commit.tree, '');
}

/**
 * Judge one commit against its parent. Returns findings, each carrying the commit id; an empty
 * list means the commit keeps every rule. Throws only when the store fails or lacks an object.
 */
export async function evaluateCommit(source: ObjectSource, oid: Oid, opts: EvaluateOptions): Promise<Finding[]> {
  const r = new Reader(source, opts.cache ?? new EvaluationCache());
  const stamp = (fs: Finding[]) => fs.map((f) => ({ ...f, commit: oid }));
  const commit = await r.commit(oid);
  if (!commit)
    return stamp(
      objectFormatWalk.run({ outcome: 'unreadable-commit', oid, problem: await r.commitProblem(oid) }, opts),
    );
  const shape = commitParents.run(
    { parents: commit.parents.length, allowRoot: opts.allowRoot === true, judgesMerges: opts.mergeBase !== undefined },
    opts,
  );
  if (shape.length > 0) return stamp(shape);
  if (commit.parents.length === 2 && opts.mergeBase)
    return stamp(await judgeMerge(source, oid, commit, opts.mergeBase));
  const parent = commit.parents[0] ? await r.commit(commit.parents[0]) : null;
  const changes = await readChanges(r, commit, parent?.tree);
  const findings = [...judgeRead(r.items, opts), ...judgeChanges(changes, opts)];
  return stamp(findings);
}

/** The verdict of one commit: its findings, and ok when none is an error (for callers that decide on it). */
export async function commitVerdict(source: ObjectSource, oid: Oid, opts: EvaluateOptions): Promise<Verdict> {
  return verdict(await evaluateCommit(source, oid, opts));
}
