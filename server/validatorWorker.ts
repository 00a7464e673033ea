// A validator thread: judges pushes (and the commits a sync round fetched from a peer) posted by
// the pool, so a slow parse never blocks the server's event loop, and a parse past the budget can
// be stopped by ending the thread.

import { judgeIncoming, type IncomingInput } from '../sync/judgeIncoming.js';
import { judgePush, trimIdleState, type PushInput } from './validator.js';
import { serveJobs } from './workerPool.js';

serveJobs(
  (input: PushInput | IncomingInput) => (input.kind === 'incoming' ? judgeIncoming(input) : judgePush(input)),
  trimIdleState,
);
