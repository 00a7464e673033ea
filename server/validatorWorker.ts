// A validator thread: judges pushes posted by the pool, so a slow parse never blocks the
// server's event loop, and a parse past the budget can be stopped by ending the thread.

import { judgePush } from './validator.js';
import { serveJobs } from './workerPool.js';

serveJobs(judgePush);
