// The offline verifier's walk: every commit of a history, from the first, judged against its
// parent with the same rules the server runs. What needs the server (who pushed, the server's
// clock) is not judged here, and the report says so.

import { EvaluationCache, evaluateCommit, prefetch } from './evaluate.js';
import { readCommit, type ObjectSource } from './source.js';
import { error, ruleIds, type Finding } from './findings.js';
import { isUuid, type RecordId } from './ids.js';
import type { Oid } from './objects.js';
import { readStatus } from './status.js';
import { parseTree } from './objects.js';

/** What the verifier reports. */
export interface VerifyReport {
  recordId: string | null;
  commits: number;
  findings: Finding[];
  /** Rules not judged offline, in words. */
  skipped: string[];
}

/** Rules that need the server, and why they are skipped offline. */
export const skippedOffline = [
  'who may push what (ccr/who-*): the principal of each push is known only to the server',
  'timestamps, commit times and last_updated_at against the server clock '
    + '(ccr/message-timestamp, ccr/commit-time, ccr/ledger-last-updated: the future bound)',
];

/** What the verifier cannot say about the merges of a history (said only when it holds some). */
export function skippedMerges(merges: number): string {
  return `who brought each of the ${merges} merge commit${merges === 1 ? '' : 's'} (ccr/commit-parents: only sync between sites may): `
    + 'each was judged as exactly the deterministic sync merge of its parents with merged files that keep the file rules, and the commits of '
    + 'each side against their own parents; that a side was written before the other side closed, froze or left a thread is not known offline';
}

/** The record id a history claims: coordination_id of the first commit's status file. */
async function recordIdOf(source: ObjectSource, root: Oid): Promise<RecordId | null> {
  const commit = await readCommit(source, root);
  const tree = commit ? await source.read(commit.tree) : null;
  const entry = tree ? parseTree(tree.content)?.find((e) => e.name === 'COORDINATION_STATUS.yaml') : undefined;
  const blob = entry ? await source.read(entry.oid) : null;
  const status = blob ? readStatus(blob.content) : null;
  return status?.ok && isUuid(status.value.coordination_id) ? status.value.coordination_id : null;
}

/**
 * Judge every commit, oldest first (`commits` in topological order, the first a root). Calls
 * `progress` now and then with the number judged.
 */
export async function verifyHistory(source: ObjectSource, commits: Array<{ oid: Oid; parents: Oid[] }>, options: { progress?: (done: number, total: number) => void; mergeBase?: (a: Oid, b: Oid) => Promise<Oid | null> } = {}): Promise<VerifyReport> {
  const findings: Finding[] = [];
  const first = commits[0];
  if (!first) return { recordId: null, commits: 0, findings: [error(ruleIds.refName, 'expected a `main` with at least one commit')], skipped: skippedOffline };
  const roots = commits.filter((c) => c.parents.length === 0);
  if (roots.length !== 1) findings.push(error(ruleIds.commitParents, `expected one first commit, found ${roots.length}`, { commit: roots[1]?.oid ?? first.oid }));
  const recordId = await recordIdOf(source, first.oid);
  if (!recordId) findings.push(error(ruleIds.statusIdentity, 'expected the first commit to hold a readable COORDINATION_STATUS.yaml with the record id', { commit: first.oid }));
  const cache = new EvaluationCache();
  const AHEAD = 8;
  for (let i = 1; i <= AHEAD && i < commits.length; i++) void prefetch(source, cache, commits[i]!.oid).catch(() => undefined);
  for (const [i, c] of commits.entries()) {
    const next = commits[i + AHEAD + 1];
    if (next) void prefetch(source, cache, next.oid).catch(() => undefined);
    findings.push(...await evaluateCommit(source, c.oid, { recordId: (recordId ?? '') as RecordId, allowRoot: i === 0, cache, ...(options.mergeBase ? { mergeBase: options.mergeBase } : {}) }));
    options.progress?.(i + 1, commits.length);
  }
  const merges = commits.filter((c) => c.parents.length > 1).length;
  return { recordId, commits: commits.length, findings, skipped: merges > 0 ? [...skippedOffline, skippedMerges(merges)] : skippedOffline };
}
