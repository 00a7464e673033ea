// The participants of each thread of a record at a commit: what a participant principal's rights
// are decided from (server/access.ts) and what "my records" lists (SPEC 9). Pure: objects come from
// a source, so the server reads it from `main`, and a validator thread from the commit it has just
// judged (server/validator.ts), in the same way.

import { COMMUNICATIONS, LEDGER_FILE, isFolder } from './layout.js';
import type { Oid } from './objects.js';
import { parsedLedger } from './parsedLedgers.js';
import { MissingObject, readCommit, readTree, type ObjectSource } from './source.js';

/** A thread's ledger and the participant ids it lists (none for a ledger that does not parse). */
export interface ThreadLedger {
  oid: Oid;
  participants: string[];
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
  const c = await readCommit(source, commit);
  if (!c) throw new MissingObject(commit);
  const communications = (await readTree(source, c.tree)).find((e) => e.name === COMMUNICATIONS && isFolder(e));
  const out = new Map<string, ThreadLedger>();
  for (const thread of await readTree(source, communications?.oid)) {
    if (!isFolder(thread)) continue;
    const ledger = (await readTree(source, thread.oid)).find((e) => e.name === LEDGER_FILE);
    if (!ledger) continue;
    const before = known?.get(thread.name);
    if (before?.oid === ledger.oid) {
      out.set(thread.name, before);
      continue;
    }
    const read = await parsedLedger(source, ledger.oid);
    out.set(thread.name, { oid: ledger.oid, participants: read ? read.participants.map((p) => p.participant_id) : [] });
  }
  return out;
}
