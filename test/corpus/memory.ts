// Playing corpus cases: the plan of a case's commits (with a merge's other side), then the plan
// written in memory for the rule tests. The server tests write the same plan with fast-import.

import type { Oid } from '../../core/objects.js';
import type { RecordId } from '../../core/ids.js';
import { MemorySource, type Snapshot } from '../helpers/snapshot.js';
import type { Case } from './cases.js';
import { commitMessage, recordSnapshot, threadSnapshot } from './record.js';

export const RECORD = '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as RecordId;
const JAN_12 = Date.UTC(2026, 0, 12, 9, 0, 5);
export const BASE_TIME = Date.UTC(2026, 0, 11, 14, 41, 0);

/** One planned commit; a parent is 'base' or the index of an earlier planned commit. */
export interface Planned {
  snapshot: Snapshot;
  parents: Array<'base' | number>;
  message: string;
  time: number;
  /** True for a step's own commit (judged), false for a merge's other side. */
  step: boolean;
}

/** The commits of a case on top of the base snapshot, oldest first. */
export function planCase(base: Snapshot, c: Case): Planned[] {
  const plan: Planned[] = [];
  let parent: 'base' | number = 'base';
  let grandparent: 'base' | number = 'base';
  let before = base;
  let current = base;
  for (const step of c.steps) {
    const next = step.change(current);
    const time = step.time ?? JAN_12;
    const parents: Array<'base' | number> = [parent];
    if (step.mergeWith) {
      plan.push({
        snapshot: step.mergeWith(before),
        parents: [grandparent],
        message: commitMessage.message,
        time,
        step: false,
      });
      parents.push(plan.length - 1);
    }
    plan.push({ snapshot: next, parents, message: step.message ?? commitMessage.message, time, step: true });
    grandparent = parent;
    parent = plan.length - 1;
    before = current;
    current = next;
  }
  return plan;
}

/** The base record in memory: the status commit, then the thread commit. */
export function baseRecord(): { source: MemorySource; root: Oid; head: Oid; snapshot: Snapshot } {
  const source = new MemorySource();
  const record = recordSnapshot(RECORD);
  const root = source.commit(record, [], commitMessage.record, Date.UTC(2026, 0, 11, 14, 35, 0));
  const snapshot = threadSnapshot(record);
  const head = source.commit(snapshot, [root], commitMessage.thread, BASE_TIME);
  return { source, root, head, snapshot };
}

/** Write a case's commits in memory on top of `head`; gives the ids of its steps' commits. */
export function playCase(source: MemorySource, head: Oid, snapshot: Snapshot, c: Case): Oid[] {
  const plan = planCase(snapshot, c);
  const ids: Oid[] = [];
  for (const p of plan)
    ids.push(
      source.commit(
        p.snapshot,
        p.parents.map((x) => (x === 'base' ? head : ids[x]!)),
        p.message,
        p.time,
      ),
    );
  return ids.filter((_, i) => plan[i]!.step);
}
