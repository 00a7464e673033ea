// What the offline verifier needs to judge a participant's view (SPEC 12): a view shows a thread
// from the commit its reader joins it, with the history before that out of sight, so that commit
// cannot be judged as a change of the thread. Pure: objects come from the source.

import { readLedger } from '../ledger.js';
import { COMMUNICATIONS, LEDGER_FILE } from '../layout.js';
import type { Oid } from '../objects.js';
import { readCommit, readTree, type ObjectSource } from '../source.js';

/** The thread folders of a commit, by thread id, with their tree ids. */
async function threadsOf(source: ObjectSource, commit: Oid | undefined): Promise<Map<string, Oid>> {
  const c = commit ? await readCommit(source, commit) : null;
  const root = c ? await readTree(source, c.tree) : [];
  const folder = root.find((e) => e.name === COMMUNICATIONS);
  return new Map((await readTree(source, folder?.oid)).map((e) => [e.name, e.oid]));
}

/** The participant ids of a thread folder's ledger; empty when it does not read. */
async function participantsOf(source: ObjectSource, folder: Oid): Promise<Set<string>> {
  const entry = (await readTree(source, folder)).find((e) => e.name === LEDGER_FILE);
  const blob = entry ? await source.read(entry.oid) : null;
  const ledger = blob ? readLedger(blob.content) : null;
  return new Set(ledger?.ok ? ledger.value.participants.map((p) => p.participant_id) : []);
}

/**
 * The threads that may come into a view at a commit of one parent: each changed thread that the
 * parent lacks or whose participants gain someone (the view's reader joining it, or joining it
 * again after a removal, shows it whole, its earlier history out of sight).
 */
export async function threadsComingIntoView(
  source: ObjectSource,
  commit: Oid,
  parent: Oid | undefined,
): Promise<string[]> {
  const [now, before] = await Promise.all([threadsOf(source, commit), threadsOf(source, parent)]);
  const coming: string[] = [];
  for (const [id, folder] of now) {
    const was = before.get(id);
    if (was === folder) continue;
    if (!was) {
      coming.push(id);
      continue;
    }
    const [after, prior] = await Promise.all([participantsOf(source, folder), participantsOf(source, was)]);
    if ([...after].some((p) => !prior.has(p))) coming.push(id);
  }
  return coming;
}
