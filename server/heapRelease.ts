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

/**
 * V8's `gc` function, taken from a fresh context with the flag on for that moment only (the flag
 * is process-wide; no other context gets the function). Another thread may turn the flag off
 * between our turning it on and the context's making: then there is no `gc` yet, and it is tried
 * again the next time.
 */
function gcFunction(): (() => void) | undefined {
  if (collect) return collect;
  setFlagsFromString('--expose-gc');
  try {
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    if (typeof gc === 'function') collect = gc as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/**
 * A full garbage collection of this thread's heap that compacts it; false when it could not run
 * (no `gc` function this time). Never throws: it runs from timers, where a throw would end the
 * thread, or the process.
 */
export function compactHeap(): boolean {
  try {
    const gc = gcFunction();
    if (!gc) return false;
    // Process-wide too, for this one collection: another thread's full collection meanwhile
    // compacts as well (a longer pause for it), and two threads compacting at once may see one
    // turn the flag off before the other's collection starts (that one then only collects).
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
    return true;
  } catch {
    return false;
  }
}

/** How long the main thread goes without a request before it compacts its heap. */
export const MAIN_IDLE_RELEASE_MS = 2000;
/** How much its heap must have grown since the last compaction for the next to be worth its pause. */
export const MAIN_RELEASE_GROWTH_BYTES = 4 * 1024 * 1024;

/**
 * The main thread's release: `started` when a request comes in, `ended` with the number still in
 * flight. Once none has been in flight for `idleMs` and the heap has grown by `growthBytes` since
 * the last compaction (or the start), one compaction runs (a pause of 30–130 ms measured on a
 * ~35 MiB heap, at a moment with nothing to answer) and is logged with the heap before and after.
 * Once stopped (shutdown), requests that end no longer arm it.
 */
export class IdleRelease {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
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
    if (inFlight > 0 || this.#timer || this.#stopped) return;
    if (getHeapStatistics().total_heap_size < this.#base + this.growthBytes) return;
    this.#timer = setTimeout(() => this.#release(), this.idleMs).unref();
  }

  /** No compaction from now on (the server is shutting down). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #release(): void {
    this.#timer = undefined;
    const before = getHeapStatistics().total_heap_size;
    const started = performance.now();
    if (!compactHeap()) return; // tried again after the next request
    this.#base = getHeapStatistics().total_heap_size;
    this.log('info', 'memory-released', {
      heap_before: before,
      heap_after: this.#base,
      ms: Math.round(performance.now() - started),
    });
  }
}
