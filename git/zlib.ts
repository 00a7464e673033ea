// Node's zlib, safe in a worker thread that is ended at any moment. Node 20 aborts the whole
// process ("close before init", node_zlib.cc) when a worker thread ends between the making of a
// zlib handle and its init: a window of a few JavaScript statements inside every `inflateSync` and
// `deflateSync`. A pool's thread whose job runs past its budget is ended mid-job
// (server/workerPool.ts), so without this one user's slow push or read could stop the server
// (seen in CI; a thread inflating in a loop ended 50–300 times brought it about every time).
//
// Each call here holds a gate, a word of memory shared with the thread's pool: the pool closes
// the gate, waits until no call is inside, and only then ends the thread; a call that finds the
// gate closed throws at once rather than start. In the main thread, which nobody ends, there is no
// gate and a call is Node's own. Every zlib call in code a worker runs goes through this module
// (the linter refuses `node:zlib` elsewhere, but in the main thread's server/smartHttp.ts).

import { workerData } from 'node:worker_threads';
import * as zlib from 'node:zlib';

/** The gate's bits: a call is inside; the pool is ending the thread. */
const INSIDE = 1;
const CLOSING = 2;

/** Where the pool puts a thread's gate in its `workerData`. */
export const GATE_KEY = 'ccrZlibGate';

const shared: unknown = (workerData as Record<string, unknown> | null)?.[GATE_KEY];
const gate = shared instanceof SharedArrayBuffer ? new Int32Array(shared) : null;

/** Run `call` inside the gate (at once when this thread has none). */
function gated<T>(call: () => T): T {
  if (!gate) return call();
  if (Atomics.or(gate, 0, INSIDE) & CLOSING) {
    Atomics.and(gate, 0, ~INSIDE);
    throw new Error('this thread is being ended: no zlib call starts');
  }
  try {
    return call();
  } finally {
    Atomics.and(gate, 0, ~INSIDE);
  }
}

export function inflateSync(data: zlib.InputType, options?: zlib.ZlibOptions): Buffer {
  return gated(() => zlib.inflateSync(data, options));
}

export function deflateSync(data: zlib.InputType, options?: zlib.ZlibOptions): Buffer {
  return gated(() => zlib.deflateSync(data, options));
}

/** A new gate, for a thread the pool starts (its `workerData[GATE_KEY]`). */
export function newGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/**
 * Close a thread's gate and wait until no zlib call is inside, or until `gone()` (a thread that
 * ended mid-call, out of memory, never leaves): the thread may then be ended.
 */
export async function closeGate(shared: SharedArrayBuffer, gone: () => boolean): Promise<void> {
  const word = new Int32Array(shared);
  Atomics.or(word, 0, CLOSING);
  while (Atomics.load(word, 0) & INSIDE && !gone()) await new Promise((r) => setTimeout(r, 1));
}
