// A thread that waits for a signal shared with its siblings, then compacts its heap for the first
// time (server/heapRelease.ts): threads doing so at once must not throw.

import { parentPort, workerData } from 'node:worker_threads';
import { compactHeap } from '../../server/heapRelease.js';

const go = new Int32Array(workerData as SharedArrayBuffer);
Atomics.wait(go, 0, 0);
try {
  parentPort?.postMessage(compactHeap());
} catch (e) {
  parentPort?.postMessage(`threw: ${(e as Error).message}`);
}
