// A validator thread: judges pushes posted by the pool, so a slow parse never blocks the
// server's event loop, and a parse past the budget can be stopped by ending the thread.

import { parentPort } from 'node:worker_threads';
import { judgePush, type PushInput } from './validator.js';

parentPort?.on('message', (job: { id: number; input: PushInput }) => {
  judgePush(job.input).then(
    (verdict) => parentPort?.postMessage({ id: job.id, verdict }),
    (e: unknown) => parentPort?.postMessage({ id: job.id, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }),
  );
});
