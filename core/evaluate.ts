// The evaluator: judges one commit against its parent. It reads objects through a source given
// as a parameter (the server's quarantine reader, the offline verifier's, the library's overlay),
// turns the differences into CommitChanges and hands them to the pure rules. Cost follows the
// change: unchanged folders are skipped by object id, an append is checked by hashing the new
// file's prefix against the old id and parsing only what was appended.

import { error, ruleIds, type Finding } from './findings.js';
import { LEDGER_MAX_BYTES, readLedger, type Ledger } from './ledger.js';
import { checkAppendedText, checkMessagesBytes, countLines } from './messages/file.js';
import { messageLimits, parseMessages, type ParsedMessage } from './messages/grammar.js';
import { EMPTY_TREE, hashObject, readTreeObject, type Commit, type ObjectType, type Oid, type TreeEntry } from './objects.js';
import { buildSyncMerge } from './mergeCommit.js';
import { MissingObject, readCommit, readCommitChecked, type ObjectSource } from './source.js';
import { appendOnly } from './rules/appendOnly.js';
import type { CommitChanges, RuleContext, ThreadChange } from './rules/context.js';
import { COMMUNICATIONS, LEDGER_FILE, MESSAGES_FILE, STATUS_FILE, THREAD_FILES, isFolder, threadFilePath, threadFolder } from './layout.js';
import { communicationsLayout, rootLayout, threadLayout } from './rules/tree.js';
import { STATUS_MAX_BYTES, readStatus, type CoordinationStatus } from './status.js';
import { isThreadId } from './ids.js';
import { decodeUtf8 } from './text.js';
import { judgeChanges } from './evaluate/runRules.js';
import { rightsOf } from './rights.js';

export { judgeChanges } from './evaluate/runRules.js';
import { addCommitSignature, extractCommitSignature } from './ssh/commitSignature.js';

/** Parsed files by blob id, carried from one commit to the next in a history walk. */
export class EvaluationCache {
  readonly messages = new Map<Oid, { messages: ParsedMessage[]; size: number; lines: number }>();
  readonly ledgers = new Map<Oid, Ledger>();
  readonly statuses = new Map<Oid, CoordinationStatus>();
  readonly trees = new Map<Oid, TreeEntry[]>();
  readonly commits = new Map<Oid, Commit | null>();
  constructor(private readonly limit = 4096) {}

  /** Remember a value, forgetting the oldest entries past the limit. */
  put<V>(map: Map<Oid, V>, oid: Oid, value: V): void {
    map.delete(oid);
    map.set(oid, value);
    if (map.size > this.limit) map.delete(map.keys().next().value as Oid);
  }
}

/** Options of one evaluation: the rule context, whether a root commit is expected, a cache. */
export interface EvaluateOptions extends RuleContext {
  /** Accept a commit without parents as the record's first (the verifier's first commit). */
  allowRoot?: boolean;
  cache?: EvaluationCache;
  /** The merge base of two commits (git's), for judging sync merges; without it merges are refused. */
  mergeBase?: (a: Oid, b: Oid) => Promise<Oid | null>;
}

/** Reads for one evaluation, collecting findings about unreadable or oversized objects. */
class Reader {
  readonly findings: Finding[] = [];
  constructor(readonly source: ObjectSource, readonly cache: EvaluationCache) {}

  async object(oid: Oid, type: ObjectType, path: string): Promise<Uint8Array | null> {
    const o = await this.source.read(oid);
    if (!o) throw new MissingObject(oid);
    if (o.type !== type) {
      this.findings.push(error(type === 'tree' ? ruleIds.treeLayout : ruleIds.treeMode, `expected a ${type}, found a ${o.type}`, { path }));
      return null;
    }
    return o.content;
  }

  async tree(oid: Oid | undefined, path: string): Promise<TreeEntry[]> {
    if (!oid || oid === EMPTY_TREE) return [];
    const known = this.cache.trees.get(oid);
    if (known) return known;
    const content = await this.object(oid, 'tree', path);
    if (!content) return [];
    // A malformed tree (duplicate names, git's order broken) is refused, never read one way here
    // and another by a checkout; its entries as read still go to the layout rules.
    const { entries, problem } = readTreeObject(content);
    if (problem) this.findings.push(error(ruleIds.objectFormat, `${problem} (tree ${oid.slice(0, 12)})`, path ? { path } : {}));
    else this.cache.put(this.cache.trees, oid, entries);
    return entries;
  }

  async commit(oid: Oid): Promise<Commit | null> {
    if (this.cache.commits.has(oid)) return this.cache.commits.get(oid)!;
    const commit = await readCommit(this.source, oid);
    this.cache.put(this.cache.commits, oid, commit);
    return commit;
  }

  /** Why a commit that `commit()` gave as null is not one. */
  async commitProblem(oid: Oid): Promise<string> {
    const read = await readCommitChecked(this.source, oid);
    return read.ok ? 'expected a well-formed commit object' : read.problem;
  }

  /** A blob, refused unread when larger than `cap`. */
  async blob(oid: Oid, cap: number, path: string): Promise<Uint8Array | null> {
    const o = await this.source.read(oid, cap);
    if (!o) throw new MissingObject(oid);
    if (o.type !== 'blob') {
      this.findings.push(error(ruleIds.treeMode, `expected a file, found a ${o.type}`, { path }));
      return null;
    }
    if (o.content === null) {
      this.findings.push(error(ruleIds.blobSize, `expected at most ${cap} bytes, found ${o.size}`, { path }));
      return null;
    }
    return o.content;
  }

  /** A ledger known to be valid (from the parent), through the cache. */
  async trustedLedger(oid: Oid | undefined, path: string): Promise<Ledger | undefined> {
    if (!oid) return undefined;
    const hit = this.cache.ledgers.get(oid);
    if (hit) return hit;
    const bytes = await this.blob(oid, LEDGER_MAX_BYTES, path);
    const read = bytes ? readLedger(bytes, path) : null;
    if (read?.ok) this.cache.put(this.cache.ledgers, oid, read.value);
    return read?.ok ? read.value : undefined;
  }

  async trustedStatus(oid: Oid | undefined): Promise<CoordinationStatus | undefined> {
    if (!oid) return undefined;
    const hit = this.cache.statuses.get(oid);
    if (hit) return hit;
    const bytes = await this.blob(oid, STATUS_MAX_BYTES, STATUS_FILE);
    const read = bytes ? readStatus(bytes) : null;
    if (read?.ok) this.cache.put(this.cache.statuses, oid, read.value);
    return read?.ok ? read.value : undefined;
  }
}

function entry(entries: readonly TreeEntry[], name: string): TreeEntry | undefined {
  return entries.find((e) => e.name === name);
}

/** The messages.md part of a thread change: earlier and appended messages. */
async function messagesChange(r: Reader, oldOid: Oid | undefined, newOid: Oid | undefined, path: string): Promise<Pick<ThreadChange, 'earlier' | 'appended'>> {
  if (!newOid) return { earlier: [], appended: [] };
  const known = oldOid ? r.cache.messages.get(oldOid) : undefined;
  if (oldOid === newOid) return { earlier: known?.messages ?? [], appended: [] };
  const bytes = await r.blob(newOid, messageLimits.fileBytes, path);
  if (!bytes) return { earlier: [], appended: [] };
  const remember = (messages: ParsedMessage[], lines: number) => r.cache.put(r.cache.messages, newOid, { messages, size: bytes.length, lines });

  if (!oldOid) {
    const check = checkMessagesBytes(bytes, path);
    r.findings.push(...check.findings);
    if (check.findings.length === 0) remember(check.messages, countLines(bytes));
    return { earlier: [], appended: check.messages };
  }
  const oldSize = known?.size ?? (await r.source.read(oldOid, 0))?.size;
  if (oldSize === undefined) throw new MissingObject(oldOid);
  // Append-only by hashing: the new file's first oldSize bytes must have the old file's id.
  if (bytes.length < oldSize || hashObject('blob', bytes.subarray(0, oldSize)) !== oldOid) {
    const old = await r.blob(oldOid, messageLimits.fileBytes, path);
    if (old) r.findings.push(...appendOnly(old, bytes, path));
    return { earlier: old ? parseMessages(decodeUtf8(old) ?? '').messages : [], appended: [] };
  }
  const earlierBytes = bytes.subarray(0, oldSize);
  const earlier = known?.messages ?? parseMessages(decodeUtf8(earlierBytes) ?? '').messages;
  const lines = known?.lines ?? countLines(earlierBytes);
  const appendedText = decodeUtf8(bytes.subarray(oldSize));
  if (appendedText === null) {
    r.findings.push(error(ruleIds.messageChars, 'expected UTF-8 in the appended messages, found invalid byte sequences', { path, line: lines + 1 }));
    return { earlier, appended: [] };
  }
  const check = checkAppendedText(appendedText, { blocks: earlier.length, lines }, path);
  r.findings.push(...check.findings);
  if (check.findings.length === 0) remember(earlier.concat(check.appended), lines + countLines(bytes.subarray(oldSize)));
  return { earlier, appended: check.appended };
}

/** Read what one commit changes in one thread folder. */
async function threadChange(r: Reader, name: string, oldTree: Oid | undefined, newTree: Oid): Promise<ThreadChange> {
  const path = threadFolder(name);
  const [before, after] = [await r.tree(oldTree, path), await r.tree(newTree, path)];
  r.findings.push(...threadLayout(after, path));
  for (const file of THREAD_FILES) {
    if (entry(before, file) && !entry(after, file)) {
      r.findings.push(error(ruleIds.appendOnly, `expected \`${file}\` never to be deleted or renamed`, { path: threadFilePath(name, file) }));
    }
  }
  const oldLedgerOid = entry(before, LEDGER_FILE)?.oid;
  const newLedgerOid = entry(after, LEDGER_FILE)?.oid;
  const oldLedger = await r.trustedLedger(oldLedgerOid, threadFilePath(name, LEDGER_FILE));
  // A thread whose ledger cannot be read was never judged sound: nothing about it can be judged
  // now (who governs it, whether it is open), so it takes no change, rather than one unjudged.
  if (oldTree !== undefined && !oldLedger) {
    const why = 'expected the ledger before this commit to be readable, found one that is not (or none): the thread takes no change';
    r.findings.push(error(ruleIds.ledgerSchema, why, { path: threadFilePath(name, LEDGER_FILE) }));
  }
  let newLedger = oldLedger;
  const ledgerChanged = newLedgerOid !== oldLedgerOid;
  if (ledgerChanged && newLedgerOid) {
    const bytes = await r.blob(newLedgerOid, LEDGER_MAX_BYTES, threadFilePath(name, LEDGER_FILE));
    const read = bytes ? readLedger(bytes, threadFilePath(name, LEDGER_FILE)) : null;
    if (read && !read.ok) r.findings.push(...read.findings);
    newLedger = read?.ok ? read.value : undefined;
    if (read?.ok) r.cache.put(r.cache.ledgers, newLedgerOid, read.value);
  }
  const messages = await messagesChange(r, entry(before, MESSAGES_FILE)?.oid, entry(after, MESSAGES_FILE)?.oid, threadFilePath(name, MESSAGES_FILE));
  return {
    threadId: name, path, created: oldTree === undefined, ledgerChanged, ...messages,
    ...(oldLedger ? { oldLedger } : {}), ...(newLedger ? { newLedger } : {}),
  };
}

/** Read everything a commit changes against the tree of its parent (or nothing, for a root). */
async function readChanges(r: Reader, commit: Commit, parentTree: Oid | undefined): Promise<CommitChanges> {
  const [before, after] = [await r.tree(parentTree, ''), await r.tree(commit.tree, '')];
  r.findings.push(...rootLayout(after));
  const oldStatusOid = entry(before, STATUS_FILE)?.oid;
  const newStatusOid = entry(after, STATUS_FILE)?.oid;
  const oldStatus = await r.trustedStatus(oldStatusOid);
  if (parentTree !== undefined && !oldStatus) {
    const why = `expected ${STATUS_FILE} before this commit to be readable, found one that is not (or none): the record takes no change`;
    r.findings.push(error(ruleIds.statusSchema, why, { path: STATUS_FILE }));
  }
  let newStatus = oldStatus;
  const statusChanged = newStatusOid !== oldStatusOid;
  if (statusChanged && newStatusOid) {
    const bytes = await r.blob(newStatusOid, STATUS_MAX_BYTES, STATUS_FILE);
    const read = bytes ? readStatus(bytes) : null;
    if (read && !read.ok) r.findings.push(...read.findings);
    newStatus = read?.ok ? read.value : undefined;
  }
  if (oldStatusOid && !newStatusOid) r.findings.push(error(ruleIds.appendOnly, `expected \`${STATUS_FILE}\` never to be deleted`, { path: STATUS_FILE }));

  const threads: ThreadChange[] = [];
  const oldComms = entry(before, COMMUNICATIONS);
  const newComms = entry(after, COMMUNICATIONS);
  if (newComms?.oid !== oldComms?.oid) {
    const [oldThreads, newThreads] = [await r.tree(oldComms?.oid, COMMUNICATIONS), newComms ? await r.tree(newComms.oid, COMMUNICATIONS) : []];
    // Folders unchanged since the parent were judged with it; only new or changed ones are looked at.
    if (newComms) r.findings.push(...communicationsLayout(newThreads.filter((e) => entry(oldThreads, e.name)?.oid !== e.oid), newThreads.length));
    for (const t of oldThreads) {
      if (!entry(newThreads, t.name)) r.findings.push(error(ruleIds.appendOnly, 'expected thread folders never to be deleted or renamed', { path: threadFolder(t.name) }));
    }
    for (const t of newThreads) {
      const old = entry(oldThreads, t.name);
      if (old?.oid === t.oid || !isThreadId(t.name) || !isFolder(t)) continue;
      threads.push(await threadChange(r, t.name, old?.oid, t.oid));
    }
  }
  return {
    commit, createsRecord: parentTree === undefined, statusChanged, threads,
    ...(oldStatus ? { oldStatus } : {}), ...(newStatus ? { newStatus } : {}),
  };
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
 * A merge is accepted only if it is exactly the deterministic sync merge of its parents (SPEC 10):
 * same tree, same parents in the same order, same author, committer, time and message. Its
 * parents were judged on their own; the files the merge computed keep the file rules, or the
 * merge cannot be built (core/mergeCommit.ts) and those rules' findings are the verdict.
 */
async function judgeMerge(source: ObjectSource, oid: Oid, commit: Commit, mergeBase: (a: Oid, b: Oid) => Promise<Oid | null>): Promise<Finding[]> {
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
function mayMerge(principal: EvaluateOptions['principal']): boolean {
  return principal === undefined || rightsOf(principal).merge;
}

/** The refusal of a merge pushed by a principal that may not merge (any but a site). */
export function mergeRefused(p: NonNullable<EvaluateOptions['principal']>): Finding {
  const why = 'expected one parent: merge commits reach main only through sync between sites, '
    + `found a merge pushed by ${p.kind} ${p.name}`;
  return error(ruleIds.commitParents, `${why} (rebase your commits on main and push again)`);
}

/**
 * Judge one commit against its parent. Returns findings, each carrying the commit id; an empty
 * list means the commit keeps every rule. Throws only when the store fails or lacks an object.
 */
export async function evaluateCommit(source: ObjectSource, oid: Oid, opts: EvaluateOptions): Promise<Finding[]> {
  const r = new Reader(source, opts.cache ?? new EvaluationCache());
  const stamp = (fs: Finding[]) => fs.map((f) => ({ ...f, commit: oid }));
  const commit = await r.commit(oid);
  if (!commit) return stamp([error(ruleIds.objectFormat, await r.commitProblem(oid))]);
  if (commit.parents.length === 2 && !mayMerge(opts.principal)) return stamp([mergeRefused(opts.principal!)]);
  if (commit.parents.length === 2 && opts.mergeBase) return stamp(await judgeMerge(source, oid, commit, opts.mergeBase));
  if (commit.parents.length > 1) {
    return stamp([error(ruleIds.commitParents, `expected one parent (merges are accepted only as the deterministic sync merge), found ${commit.parents.length}`)]);
  }
  if (commit.parents.length === 0 && !opts.allowRoot) return stamp([error(ruleIds.commitParents, 'expected one parent, found a commit without parents')]);
  const parent = commit.parents[0] ? await r.commit(commit.parents[0]) : null;
  const changes = await readChanges(r, commit, parent?.tree);
  const findings = [...r.findings, ...judgeChanges(changes, opts)];
  return stamp(findings);
}
