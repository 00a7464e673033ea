// A worker for the pool tests: spins the CPU for `ms` (as a slow parse would), or with `sleep`
// holds its thread that long without the CPU, then gives `tag`.

import { serveJobs } from '../../server/workerPool.js';

serveJobs(async (input: { tag: string; ms: number; sleep?: boolean }) => {
  if (input.sleep) {
    await new Promise((r) => setTimeout(r, input.ms));
    return input.tag;
  }
  const until = Date.now() + input.ms;
  while (Date.now() < until) {
    /* a parse that takes this long */
  }
  return input.tag;
});
