// A worker for the pool tests: spins the CPU for `ms` (as a slow parse would), then gives `tag`.

import { serveJobs } from '../../server/workerPool.js';

serveJobs(async (input: { tag: string; ms: number }) => {
  const until = Date.now() + input.ms;
  while (Date.now() < until) {
    /* a parse that takes this long */
  }
  return input.tag;
});
