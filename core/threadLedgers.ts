// The participants of each thread of a record at a commit: what a participant principal's rights
// are decided from (server/access.ts) and what "my records" lists (SPEC 9). Pure: objects come from
// a source, so the server reads them from `main`, and a validator thread, for the move of `main` it
// has just judged, reads what that move changed (server/validator.ts), in the same way.

import { COMMUNICATIONS, LEDGER_FILE, isFolder } from './layout.js';
import type { Oid } from './objects.js';
import { parsedLedger } from './parsedLedgers.js';
import { MissingObject, readCommit, readTree, type ObjectSource } from './source.js';

/** A thread's ledger and the participant ids it lists (none for a ledger that does not parse). */
export interface ThreadLedger {
  oid: Oid;
  participants: string[];
}

/** What changed between two commits, by thread id: its ledger now, or null (no thread or no ledger now). */
export type LedgerDelta = Map<string, ThreadLedger | null>;

/** The thread folders of a commit, by thread id. */
async function threadFolders(source: ObjectSource, commit: Oid): Promise<Map<string, Oid>> {
  const c = await readCommit(source, commit);
  if (!c) throw new MissingObject(commit);
  const communications = (await readTree(source, c.tree)).find((e) => e.name === COMMUNICATIONS && isFolder(e));
  const out = new Map<string, Oid>();
  for (const thread of await readTree(source, communications?.oid))
    if (isFolder(thread)) out.set(thread.name, thread.oid);
  return out;
}

/** The ledger of a thread folder, or null without one; `known` is reused when it is that ledger. */
async function ledgerOf(source: ObjectSource, folder: Oid, known?: ThreadLedger): Promise<ThreadLedger | null> {
  const ledger = (await readTree(source, folder)).find((e) => e.name === LEDGER_FILE);
  if (!ledger) return null;
  if (known?.oid === ledger.oid) return known;
  const read = await parsedLedger(source, ledger.oid);
  return { oid: ledger.oid, participants: read ? read.participants.map((p) => p.participant_id) : [] };
}

/**
 * The ledger of every thread of `commit` that has one, by thread id. A ledger whose id is in
 * `known` for that thread is not parsed again: its entry is reused.
 */
export async function threadLedgers(
  source: ObjectSource,
  commit: Oid,
  known?: ReadonlyMap<string, ThreadLedger>,
): Promise<Map<string, ThreadLedger>> {
  const out = new Map<string, ThreadLedger>();
  for (const [thread, folder] of await threadFolders(source, commit)) {
    const ledger = await ledgerOf(source, folder, known?.get(thread));
    if (ledger) out.set(thread, ledger);
  }
  return out;
}

/**
 * What changed in the thread ledgers from `from` to `to`: only threads whose folder differs are
 * read, so the cost follows the change, not the number of threads.
 */
export async function ledgerDelta(source: ObjectSource, from: Oid, to: Oid): Promise<LedgerDelta> {
  const [before, after] = await Promise.all([threadFolders(source, from), threadFolders(source, to)]);
  const out: LedgerDelta = new Map();
  for (const [thread, folder] of after)
    if (before.get(thread) !== folder) out.set(thread, await ledgerOf(source, folder));
  for (const thread of before.keys()) if (!after.has(thread)) out.set(thread, null);
  return out;
}

/** `ledgers` with `delta` applied (a new map; `ledgers` is left as it was). */
export function withDelta(
  ledgers: ReadonlyMap<string, ThreadLedger>,
  delta: ReadonlyMap<string, ThreadLedger | null>,
): Map<string, ThreadLedger> {
  const out = new Map(ledgers);
  for (const [thread, ledger] of delta) {
    if (ledger) out.set(thread, ledger);
    else out.delete(thread);
  }
  return out;
}
