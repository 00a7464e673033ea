// A validator thread: judges pushes (and the commits a sync round fetched from a peer) posted by
// the pool, so a slow parse never blocks the server's event loop, and a parse past the budget can
// be stopped by ending the thread; and derives what a landed push's move brings (deriveMove).

import { judgeIncoming, type IncomingInput } from '../sync/judgeIncoming.js';
import { deriveMove, judgePush, trimIdleState } from './validator.js';
import type { DeriveInput, MainAfter, PushInput, PushVerdict } from './validator.js';
import { serveJobs } from './workerPool.js';

serveJobs<PushInput | IncomingInput | DeriveInput, PushVerdict | MainAfter | undefined>(
  (input) =>
    input.kind === 'incoming' ? judgeIncoming(input) : input.kind === 'derive' ? deriveMove(input) : judgePush(input),
  trimIdleState,
);
