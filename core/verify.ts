// The offline verifier's walk: every commit of a history, from the first, judged against its
// parent with the same rules the server runs. What needs the server (who pushed, the server's
// clock) is not judged here, and the report says so.

import { EvaluationCache, evaluateCommit, prefetch } from './evaluate.js';
import { MissingObject, readCommit, readTree, type ObjectSource } from './source.js';
import { verdict, type Finding } from './findings.js';
import { historyFindings } from './rules/historyRules.js';
import { parseRecordId, type RecordId } from './ids.js';
import type { Oid } from './objects.js';
import { readStatus } from './status.js';
import { STATUS_FILE } from './layout.js';
import { threadsComingIntoView } from './views/verify.js';

/** What the verifier reports. */
export interface VerifyReport {
  recordId: string | null;
  commits: number;
  /** Commits judged: all of them unless some need objects the repository does not hold. */
  judged: number;
  findings: Finding[];
  /** Commits that could not be judged from what the repository holds, each with an object it lacks. */
  unjudged: Array<{ commit: Oid; missing: string }>;
  /** The commit the record id was read from when the first commit's status file is not here. */
  recordIdFrom?: Oid;
  /** Rules not judged offline, in words. */
  skipped: string[];
  /** In a view: commits whose findings were set aside as a thread came into view there, whole. */
  cameIntoView?: Array<{ commit: Oid; threads: string[] }>;
}

/** Rules that need the server, and why they are skipped offline. */
export const skippedOffline = [
  'who may push what (ccr/who-*): the principal of each push is known only to the server',
  'timestamps, commit times and last_updated_at against the server clock ' +
    '(ccr/message-timestamp, ccr/commit-time, ccr/ledger-last-updated: the future bound)',
];

/** Rules a participant's view cannot show the inputs of (SPEC 12: it holds only its reader's threads). */
export const skippedInView = [
  'threads out of this view and commits of main that change only them are not here: ' +
    'the number of threads and commits of the record, and thread ids in use out of sight (ccr/view-path), ' +
    'are not known',
  'a thread shows from the commit its reader joined it, whole: ' +
    'that commit is judged against nothing earlier of the thread',
];

/** What the verifier cannot say about the merges of a history (said only when it holds some). */
export function skippedMerges(merges: number): string {
  return (
    `who brought each of the ${merges} merge commit${merges === 1 ? '' : 's'} (ccr/commit-parents: only sync between sites may): ` +
    'each was judged as exactly the deterministic sync merge of its parents with merged files that keep the file rules, and the commits of ' +
    'each side against their own parents; that a side was written before the other side closed, froze or left a thread is not known offline'
  );
}

/** The record id a commit's status file claims; null when it has none or an unreadable one. */
async function recordIdOf(source: ObjectSource, oid: Oid): Promise<RecordId | null> {
  const commit = await readCommit(source, oid);
  const tree = commit ? await readTree(source, commit.tree) : [];
  const entry = tree.find((e) => e.name === STATUS_FILE);
  const blob = entry ? await source.read(entry.oid) : null;
  if (entry && !blob) throw new MissingObject(entry.oid);
  const status = blob ? readStatus(blob.content) : null;
  return status?.ok ? parseRecordId(status.value.coordination_id) : null;
}

/** Options of a history walk. */
export interface VerifyOptions {
  progress?: (done: number, total: number) => void;
  mergeBase?: (a: Oid, b: Oid) => Promise<Oid | null>;
  /** Commits whose parents the repository lacks (a shallow clone's boundary): not first commits. */
  shallow?: ReadonlySet<Oid>;
  /** A participant's view (SPEC 12): findings of a commit where a thread comes into view are set aside. */
  view?: boolean;
}

/**
 * Judge every commit, oldest first (`commits` in topological order, the first a root). A commit
 * that needs an object the repository lacks (a shallow or partial clone) is listed as unjudged,
 * never guessed at. Calls `progress` now and then with the number judged.
 */
export async function verifyHistory(
  source: ObjectSource,
  commits: Array<{ oid: Oid; parents: Oid[] }>,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const findings: Finding[] = [];
  const unjudged: VerifyReport['unjudged'] = [];
  const first = commits[0];
  if (!first) {
    const findings = historyFindings({ problem: 'no-main' });
    return { recordId: null, commits: 0, judged: 0, findings, unjudged, skipped: skippedOffline };
  }
  const roots = commits.filter((c) => c.parents.length === 0 && !options.shallow?.has(c.oid));
  if (roots.length !== 1 && !(roots.length === 0 && options.shallow?.size)) {
    findings.push(...historyFindings({ problem: 'roots', count: roots.length, at: roots[1]?.oid ?? first.oid }));
  }
  // The record id comes from the first commit; where its status file is not here, from the
  // earliest commit whose status file is.
  let recordId: RecordId | null = null;
  let recordIdFrom: Oid | undefined;
  let firstMissing = false;
  for (const c of commits) {
    try {
      recordId = await recordIdOf(source, c.oid);
      if (c !== first) recordIdFrom = c.oid;
      break;
    } catch (e) {
      if (!(e instanceof MissingObject)) throw e;
      firstMissing = true;
    }
  }
  if (!recordId && !firstMissing) {
    findings.push(...historyFindings({ problem: 'no-record-id', commit: first.oid }));
  }
  const cameIntoView: NonNullable<VerifyReport['cameIntoView']> = [];
  const cache = new EvaluationCache();
  const AHEAD = 8;
  for (let i = 1; i <= AHEAD && i < commits.length; i++)
    void prefetch(source, cache, commits[i]!.oid).catch(() => undefined);
  for (const [i, c] of commits.entries()) {
    const next = commits[i + AHEAD + 1];
    if (next) void prefetch(source, cache, next.oid).catch(() => undefined);
    try {
      const merges = options.mergeBase ? { mergeBase: options.mergeBase } : {};
      const known: RecordId | '' = recordId ?? '';
      const context = { recordId: known, allowRoot: i === 0, cache, ...merges };
      const found = await evaluateCommit(source, c.oid, context);
      // In a view a thread joined late arrives whole: its earlier history is out of sight, not broken.
      const arriving =
        options.view && c.parents.length <= 1 && !verdict(found).ok
          ? await threadsComingIntoView(source, c.oid, c.parents[0])
          : [];
      if (arriving.length > 0) cameIntoView.push({ commit: c.oid, threads: arriving });
      else findings.push(...found);
    } catch (e) {
      if (!(e instanceof MissingObject)) throw e;
      unjudged.push({ commit: c.oid, missing: e.oid });
    }
    options.progress?.(i + 1, commits.length);
  }
  const merges = commits.filter((c) => c.parents.length > 1).length;
  const skipped = [
    ...skippedOffline,
    ...(merges > 0 ? [skippedMerges(merges)] : []),
    ...(options.view ? skippedInView : []),
  ];
  return {
    recordId,
    commits: commits.length,
    judged: commits.length - unjudged.length - cameIntoView.length,
    findings,
    unjudged,
    ...(recordIdFrom ? { recordIdFrom } : {}),
    skipped,
    ...(options.view ? { cameIntoView } : {}),
  };
}
