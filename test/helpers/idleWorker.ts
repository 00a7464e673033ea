// A worker for the pool tests of idle release: answers how often its `release` ran and the
// size of its young generation, so a test can see the thread let go of memory once idle.

import { getHeapSpaceStatistics } from 'node:v8';
import { serveJobs } from '../../server/workerPool.js';

let released = 0;

serveJobs(
  async () => ({
    released,
    youngBytes: getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  }),
  () => {
    released++;
  },
);
