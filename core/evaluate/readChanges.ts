// The change reader: what one commit changes against its parent, as data for the rules
// (CommitChanges). Cost follows the change: unchanged folders are skipped by object id, an append
// is checked by hashing the new file's prefix against the old id and parsing only what was appended.

import { problem } from '../problems.js';
import { LEDGER_MAX_BYTES, readLedger, type Ledger } from '../ledger.js';
import { checkAppendedText, checkMessagesBytes, countLines } from '../messages/file.js';
import { messageLimits, parseMessages, type ParsedMessage } from '../messages/grammar.js';
import { hashObject, type Commit, type Oid, type TreeEntry } from '../objects.js';
import { MissingObject } from '../source.js';
import type { CommitChanges, FileState, ThreadChange } from '../rules/context.js';
import {
  COMMUNICATIONS,
  LEDGER_FILE,
  MESSAGES_FILE,
  STATUS_FILE,
  THREAD_FILES,
  isFolder,
  threadFilePath,
  threadFolder,
} from '../layout.js';
import { STATUS_MAX_BYTES, readStatus, type CoordinationStatus } from '../status.js';
import { isThreadId } from '../ids.js';
import { decodeUtf8 } from '../text.js';
import type { Reader } from './objectReader.js';

function entry(entries: readonly TreeEntry[], name: string): TreeEntry | undefined {
  return entries.find((e) => e.name === name);
}

/** A file before the commit: absent without an object id, else read or not. */
function fileBefore<T>(oid: Oid | undefined, value: T | undefined): FileState<T> {
  if (!oid) return { state: 'absent' };
  return value === undefined ? { state: 'unreadable' } : { state: 'ok', value };
}

/**
 * A file after the commit. Left alone, it is the file before. Changed, it is what was read. Deleted
 * (ccr/append-only refuses that), the other rules judge it as it was, so a deleted ledger or
 * status is explicit here rather than the old value passed on as the new one.
 */
function fileAfter<T>(old: FileState<T>, changed: boolean, newOid: Oid | undefined, read: T | undefined): FileState<T> {
  if (!changed) return old;
  if (newOid) return read === undefined ? { state: 'unreadable' } : { state: 'ok', value: read };
  return old.state === 'ok' ? { state: 'deleted', kept: old.value } : old;
}

/** The messages.md part of a thread change: earlier and appended messages. */
async function messagesChange(
  r: Reader,
  oldOid: Oid | undefined,
  newOid: Oid | undefined,
  path: string,
): Promise<Pick<ThreadChange, 'earlier' | 'appended'>> {
  if (!newOid) return { earlier: [], appended: [] };
  const known = oldOid ? r.cache.messages.get(oldOid) : undefined;
  if (oldOid === newOid) return { earlier: known?.messages ?? [], appended: [] };
  const bytes = await r.blob(newOid, messageLimits.fileBytes, path);
  if (!bytes) return { earlier: [], appended: [] };
  const remember = (messages: ParsedMessage[], lines: number) =>
    r.cache.put(r.cache.messages, newOid, { messages, size: bytes.length, lines });

  if (!oldOid) {
    const check = checkMessagesBytes(bytes, path);
    r.problems(...check.findings);
    if (check.findings.length === 0) remember(check.messages, countLines(bytes));
    return { earlier: [], appended: check.messages };
  }
  const oldSize = known?.size ?? (await r.source.read(oldOid, 0))?.size;
  if (oldSize === undefined) throw new MissingObject(oldOid);
  // Append-only by hashing: the new file's first oldSize bytes must have the old file's id.
  if (bytes.length < oldSize || hashObject('blob', bytes.subarray(0, oldSize)) !== oldOid) {
    const old = await r.blob(oldOid, messageLimits.fileBytes, path);
    if (old) r.items.push({ rewritten: { oldBytes: old, newBytes: bytes, path } });
    return { earlier: old ? parseMessages(decodeUtf8(old) ?? '').messages : [], appended: [] };
  }
  const earlierBytes = bytes.subarray(0, oldSize);
  const earlier = known?.messages ?? parseMessages(decodeUtf8(earlierBytes) ?? '').messages;
  const lines = known?.lines ?? countLines(earlierBytes);
  const appendedText = decodeUtf8(bytes.subarray(oldSize));
  if (appendedText === null) {
    r.formatProblems(
      problem('messages', 'chars', 'expected UTF-8 in the appended messages, found invalid byte sequences', {
        path,
        line: lines + 1,
      }),
    );
    return { earlier, appended: [] };
  }
  const check = checkAppendedText(appendedText, { blocks: earlier.length, lines }, path);
  r.problems(...check.findings);
  if (check.findings.length === 0)
    remember(earlier.concat(check.appended), lines + countLines(bytes.subarray(oldSize)));
  return { earlier, appended: check.appended };
}

/** Read what one commit changes in one thread folder. */
async function threadChange(
  r: Reader,
  name: ThreadChange['threadId'],
  oldTree: Oid | undefined,
  newTree: Oid,
): Promise<ThreadChange> {
  const path = threadFolder(name);
  const [before, after] = [await r.tree(oldTree, path), await r.tree(newTree, path)];
  r.items.push({ folder: { folder: 'thread', path, entries: after, total: after.length } });
  for (const file of THREAD_FILES) {
    if (entry(before, file) && !entry(after, file))
      r.items.push({ deleted: { what: 'file', path: threadFilePath(name, file), name: file } });
  }
  const oldLedgerOid = entry(before, LEDGER_FILE)?.oid;
  const newLedgerOid = entry(after, LEDGER_FILE)?.oid;
  const oldLedger = fileBefore(oldLedgerOid, await r.trustedLedger(oldLedgerOid, threadFilePath(name, LEDGER_FILE)));
  // Judged by ccr/ledger-schema: a thread whose ledger cannot be read takes no change.
  if (oldTree !== undefined && oldLedger.state !== 'ok')
    r.items.push({ unjudged: { what: 'ledger', path: threadFilePath(name, LEDGER_FILE) } });
  const ledgerChanged = newLedgerOid !== oldLedgerOid;
  let read: Ledger | undefined;
  if (ledgerChanged && newLedgerOid) {
    const bytes = await r.blob(newLedgerOid, LEDGER_MAX_BYTES, threadFilePath(name, LEDGER_FILE));
    const result = bytes ? readLedger(bytes, threadFilePath(name, LEDGER_FILE)) : null;
    if (result && !result.ok) r.formatProblems(...result.problems);
    if (result?.ok) {
      read = result.value;
      r.cache.put(r.cache.ledgers, newLedgerOid, result.value);
    }
  }
  const newLedger = fileAfter(oldLedger, ledgerChanged, newLedgerOid, read);
  const messages = await messagesChange(
    r,
    entry(before, MESSAGES_FILE)?.oid,
    entry(after, MESSAGES_FILE)?.oid,
    threadFilePath(name, MESSAGES_FILE),
  );
  return { threadId: name, path, created: oldTree === undefined, ledgerChanged, ...messages, oldLedger, newLedger };
}

/** Read everything a commit changes against the tree of its parent (or nothing, for a root). */
export async function readChanges(r: Reader, commit: Commit, parentTree: Oid | undefined): Promise<CommitChanges> {
  const [before, after] = [await r.tree(parentTree, ''), await r.tree(commit.tree, '')];
  r.items.push({ folder: { folder: 'root', path: '', entries: after, total: after.length } });
  const oldStatusOid = entry(before, STATUS_FILE)?.oid;
  const newStatusOid = entry(after, STATUS_FILE)?.oid;
  const oldStatus = fileBefore(oldStatusOid, await r.trustedStatus(oldStatusOid));
  // Judged by ccr/status-schema: a record whose status cannot be read takes no change.
  if (parentTree !== undefined && oldStatus.state !== 'ok')
    r.items.push({ unjudged: { what: 'status', path: STATUS_FILE } });
  const statusChanged = newStatusOid !== oldStatusOid;
  let read: CoordinationStatus | undefined;
  if (statusChanged && newStatusOid) {
    const bytes = await r.blob(newStatusOid, STATUS_MAX_BYTES, STATUS_FILE);
    const result = bytes ? readStatus(bytes) : null;
    if (result && !result.ok) r.formatProblems(...result.problems);
    if (result?.ok) read = result.value;
  }
  const newStatus = fileAfter(oldStatus, statusChanged, newStatusOid, read);
  if (oldStatusOid && !newStatusOid)
    r.items.push({ deleted: { what: 'status', path: STATUS_FILE, name: STATUS_FILE } });

  const threads: ThreadChange[] = [];
  const oldComms = entry(before, COMMUNICATIONS);
  const newComms = entry(after, COMMUNICATIONS);
  if (newComms?.oid !== oldComms?.oid) {
    const [oldThreads, newThreads] = [
      await r.tree(oldComms?.oid, COMMUNICATIONS),
      newComms ? await r.tree(newComms.oid, COMMUNICATIONS) : [],
    ];
    // Folders unchanged since the parent were judged with it; only new or changed ones are looked at.
    if (newComms) {
      const changed = newThreads.filter((e) => entry(oldThreads, e.name)?.oid !== e.oid);
      r.items.push({
        folder: { folder: 'communications', path: COMMUNICATIONS, entries: changed, total: newThreads.length },
      });
    }
    for (const t of oldThreads) {
      if (!entry(newThreads, t.name))
        r.items.push({ deleted: { what: 'thread', path: threadFolder(t.name), name: t.name } });
    }
    for (const t of newThreads) {
      const old = entry(oldThreads, t.name);
      if (old?.oid === t.oid || !isThreadId(t.name) || !isFolder(t)) continue;
      threads.push(await threadChange(r, t.name, old?.oid, t.oid));
    }
  }
  return {
    commit,
    createsRecord: parentTree === undefined,
    statusChanged,
    threads,
    oldStatus,
    newStatus,
  };
}
