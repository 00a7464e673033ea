// A worker for the pool tests of idle release: answers how often its `release` ran, the size of
// its young generation, and its old space (committed and used), so a test can see the thread let
// go of memory once idle. A job `{ fragment: true }` leaves its old space fragmented: many small
// objects promoted there, then every other one dropped.

import { getHeapSpaceStatistics } from 'node:v8';
import { serveJobs } from '../../server/workerPool.js';

let released = 0;
let kept: object[] = [];

const space = (name: string) => getHeapSpaceStatistics().find((s) => s.space_name === name);

serveJobs(
  async (input: { fragment?: boolean } | null) => {
    if (input?.fragment) {
      const all = Array.from({ length: 600_000 }, (_, i) => ({ i, name: `object ${i}` }));
      // Kept across a few turns so that scavenges promote them to the old space.
      for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
      kept = all.filter((_, i) => i % 2 === 0);
    }
    return {
      released,
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
