// A worker for the pool tests of idle release: answers how often its `release` ran and its heap
// compacted, the size of its young generation, and its old space (committed and used), so a test
// can see the thread let go of memory once idle. A job `{ fragment: true }` leaves its old space
// fragmented: many small objects promoted there, then every other one dropped.

import { serveJobs, threadHeap } from '../../server/workerPool.js';
import { fragment, heapSpace as space } from './fragment.js';

let released = 0;
let kept: object[] = [];

serveJobs(
  async (input: { fragment?: boolean } | null) => {
    if (input?.fragment) kept = await fragment();
    return {
      released,
      compactions: threadHeap.compactions,
      youngBytes: space('new_space')?.space_size ?? 0,
      oldBytes: space('old_space')?.space_size ?? 0,
      oldUsed: space('old_space')?.space_used_size ?? 0,
      kept: kept.length,
    };
  },
  () => {
    released++;
  },
);
