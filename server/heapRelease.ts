// Giving memory back after a burst (issue 17: back within 30 % of idle). V8 keeps a heap grown
// under load at that size while nothing allocates, and a plain full collection frees the dead
// objects but keeps the pages they were spread over: after 8 pushers, a validator thread's old
// space stayed at ~19 MiB with ~10 MiB in use. A collection that compacts moves what lives onto
// fewer pages and gives the rest back. Worker threads run it once idle (workerPool.ts
// `serveJobs`); the main thread runs it once no request has been handled for a while, and only
// when its heap grew since the last time (a health check every few seconds grows nothing).

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from './log.js';

let collect: (() => void) | undefined;

/** A full garbage collection of this thread's heap that compacts it. */
export function compactHeap(): void {
  if (!collect) {
    // V8's `gc` function, taken from a fresh context with the flag on for that moment only (the
    // flag is process-wide; no other context gets the function).
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  // Process-wide too, for this one collection: another thread's full collection meanwhile
  // compacts as well, which costs it time, not correctness.
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** How long the main thread goes without a request before it compacts its heap. */
export const MAIN_IDLE_RELEASE_MS = 2000;
/** How much its heap must have grown since the last compaction for the next to be worth its pause. */
export const MAIN_RELEASE_GROWTH_BYTES = 8 * 1024 * 1024;

/**
 * The main thread's release: `started` when a request comes in, `ended` with the number still in
 * flight. Once none has been in flight for `idleMs` and the heap has grown by `growthBytes` since
 * the last compaction (or the start), one compaction runs (a pause of ~30 ms on a ~30 MiB heap,
 * at a moment with nothing to answer) and is logged with the heap before and after.
 */
export class IdleRelease {
  #timer: NodeJS.Timeout | undefined;
  #base = getHeapStatistics().total_heap_size;

  constructor(
    private readonly log: Logger,
    private readonly idleMs = MAIN_IDLE_RELEASE_MS,
    private readonly growthBytes = MAIN_RELEASE_GROWTH_BYTES,
  ) {}

  started(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  ended(inFlight: number): void {
    if (inFlight > 0 || this.#timer) return;
    if (getHeapStatistics().total_heap_size < this.#base + this.growthBytes) return;
    this.#timer = setTimeout(() => this.#release(), this.idleMs).unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  #release(): void {
    this.#timer = undefined;
    const before = getHeapStatistics().total_heap_size;
    const started = performance.now();
    compactHeap();
    this.#base = getHeapStatistics().total_heap_size;
    this.log('info', 'memory-released', {
      heap_before: before,
      heap_after: this.#base,
      ms: Math.round(performance.now() - started),
    });
  }
}
