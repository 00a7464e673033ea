// Playing corpus cases in memory: the base record as commits of a MemorySource, then each step.

import type { Oid } from '../../core/objects.js';
import type { RecordId } from '../../core/ids.js';
import { MemorySource, type Snapshot } from '../helpers/snapshot.js';
import type { Case } from './cases.js';
import { commitMessage, recordSnapshot, threadSnapshot } from './record.js';

export const RECORD = '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as RecordId;
const JAN_12 = Date.UTC(2026, 0, 12, 9, 0, 5);

/** The base record in memory: the status commit, then the thread commit. */
export function baseRecord(): { source: MemorySource; root: Oid; head: Oid; snapshot: Snapshot } {
  const source = new MemorySource();
  const record = recordSnapshot(RECORD);
  const root = source.commit(record, [], commitMessage.record, Date.UTC(2026, 0, 11, 14, 35, 0));
  const snapshot = threadSnapshot(record);
  const head = source.commit(snapshot, [root], commitMessage.thread, Date.UTC(2026, 0, 11, 14, 41, 0));
  return { source, root, head, snapshot };
}

/** The commits of a case on top of `head`, oldest first (a merge also adds its other side). */
export function playCase(source: MemorySource, head: Oid, snapshot: Snapshot, c: Case): Oid[] {
  const out: Oid[] = [];
  let parent = head;
  let before = snapshot;
  let current = snapshot;
  let grandparent = head;
  for (const step of c.steps) {
    const next = step.change(current);
    const message = step.message ?? commitMessage.message;
    const time = step.time ?? JAN_12;
    const parents = [parent];
    if (step.mergeWith) parents.push(source.commit(step.mergeWith(before), [grandparent], commitMessage.message, time));
    const oid = source.commit(next, parents, message, time);
    out.push(oid);
    grandparent = parent;
    before = current;
    parent = oid;
    current = next;
  }
  return out;
}
