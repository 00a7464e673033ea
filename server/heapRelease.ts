// Giving memory back after a burst (issue 17: back within 30 % of idle). V8 keeps a heap grown
// under load at that size while nothing allocates, and a plain full collection frees the dead
// objects but keeps the pages they were spread over: after 8 pushers, a validator thread's old
// space stayed at ~19 MiB with ~10 MiB in use. A collection that compacts moves what lives onto
// fewer pages and gives the rest back. Worker threads run it once idle (workerPool.ts
// `serveJobs`), the main thread once no request has been handled for a while; each only when its
// heap grew since its last compaction (HeapGrowth).

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
/** How much a thread's heap must have grown since its last compaction for the next to be worth it. */
export const RELEASE_GROWTH_BYTES = 4 * 1024 * 1024;

/**
 * A thread's heap size when it last compacted (or started), or the smallest it has been since. A
 * compaction is worth its cost only once the heap grew by `bytes` from there, and the cost is more
 * than its pause: a full collection while nothing is in flight lets die the last objects of the
 * hidden classes that optimized code was made for, and V8 throws that code away ("weak objects" in
 * --trace-deopt: ~130 functions a thread) to compile it again over the next pushes. Without this
 * test a server pushed to every few seconds paid that after every push.
 */
export class HeapGrowth {
  #base: number;
  #compactions = 0;

  constructor(
    readonly bytes = RELEASE_GROWTH_BYTES,
    private readonly size = () => getHeapStatistics().total_heap_size,
  ) {
    this.#base = size();
  }

  /** How many compactions ran. */
  get compactions(): number {
    return this.#compactions;
  }

  /** One compaction if the heap has grown: the heap's size before and after, or null if none ran. */
  compact(): { before: number; after: number } | null {
    const before = this.size();
    if (before < this.#base + this.bytes) {
      // V8's own collections may have shrunk it since: growth counts from the smallest size seen.
      this.#base = Math.min(this.#base, before);
      return null;
    }
    if (!compactHeap()) return null;
    this.#compactions++;
    this.#base = this.size();
    return { before, after: this.#base };
  }
}

/**
 * The main thread's release: `started` when a request comes in, `ended` with the number still in
 * flight. Once none has been in flight for `idleMs` and the heap has grown (HeapGrowth), one
 * compaction runs (a pause of 30–160 ms measured on 35–73 MiB heaps, the longer with
 * --single-threaded-gc, at a moment with nothing to answer) and is logged with the heap before and
 * after. Once stopped (shutdown), requests that end no longer arm it.
 */
export class IdleRelease {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #heap: HeapGrowth;

  constructor(
    private readonly log: Logger,
    private readonly idleMs = MAIN_IDLE_RELEASE_MS,
    growthBytes = RELEASE_GROWTH_BYTES,
  ) {
    this.#heap = new HeapGrowth(growthBytes);
  }

  started(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // Armed whatever the heap: it may grow after the last answer (a landed push's events), and
  // HeapGrowth decides when the time comes.
  ended(inFlight: number): void {
    if (inFlight > 0 || this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => this.#release(), this.idleMs).unref();
  }

  /** No compaction from now on (the server is shutting down). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #release(): void {
    this.#timer = undefined;
    const started = performance.now();
    const heap = this.#heap.compact();
    if (!heap) return; // tried again after the next request
    this.log('info', 'memory-released', {
      heap_before: heap.before,
      heap_after: heap.after,
      ms: Math.round(performance.now() - started),
    });
  }
}
