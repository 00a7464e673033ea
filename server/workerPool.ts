// Worker threads with a time budget and a bounded, fair queue: what the validator and the reader
// share. A job past its budget has its thread ended and replaced (it is not waited on); a job
// that finds the queue full is turned away at once. Jobs are queued per owner (a principal) and
// taken round-robin, an owner with a job at work after those without (see `#nextOwner`), so one
// owner's flood waits behind itself, not in front of everyone else.

import { readFileSync } from 'node:fs';
import { parentPort, Worker } from 'node:worker_threads';
import { Unavailable } from '../core/errors.js';
import { closeGate, GATE_KEY, newGate } from '../git/zlib.js';
import { HeapGrowth } from './heapRelease.js';
import type { Logger } from './log.js';

/** How a pool runs. */
export interface PoolOptions<I, O> {
  /** The worker module (it calls `serveJobs`). */
  module: URL;
  threads: number;
  budgetMs: number;
  /** Jobs waiting for a thread, in all and per owner; past these a job is turned away. */
  maxQueued: number;
  maxQueuedPerOwner: number;
  /** What a job past its budget gives; may throw. */
  overBudget: (input: I) => O;
  /** What a job turned away because the queue is full gives; may throw. */
  turnedAway: (input: I) => O;
  /** Start every thread at once (else on first need); with `extraAfterMs`, the first. */
  eager?: boolean;
  /**
   * Work as one thread: a job takes the first thread, and another thread (started, or kept from
   * an earlier long job) only while a running job has used this much of the CPU, or held its
   * thread `HELD_WALL_FACTOR` times as long however it spent it (a long job holds its thread);
   * until then waiting jobs wait for the first. Where a thread's CPU time cannot be read (no
   * /proc), the time a job has run. A thread beyond the first ends once idle for IDLE_END_MS,
   * busy as the first may be. Undefined: every thread in turn, another started whenever all are at work.
   */
  extraAfterMs?: number;
  /** Name in the log. */
  name: string;
  log: Logger;
}

/**
 * The young generation of a thread's heap, in MB. V8 grows it under load (to 16 MB a semi-space,
 * 48 MB in all, by default) and keeps it grown; a job's garbage is small and short-lived, so a
 * small one costs little time and bounds what a busy thread holds.
 */
const YOUNG_GENERATION_MB = Number(process.env['CCR_YOUNG_MB'] ?? 6);

/**
 * A job that has held its thread this many times `extraAfterMs` counts as long even if it used
 * little of the CPU (waiting on the disk, say). On a busy machine a short job's run stretches with
 * the others' (two cores shared by many pushes: 5 ms of CPU took 50 ms), and by the clock alone
 * it started a second thread whose own compiling and collecting cost the machine 5 to 10 % more
 * CPU a push than one thread (docs/benchmarks.md).
 */
export const HELD_WALL_FACTOR = 5;

/** This thread's id in the kernel, where /proc gives it (Linux): the pool reads its CPU time by it. */
export function kernelThreadId(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/stat', 'latin1').split(' ', 1)[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** The CPU time a thread of this process has used, in ms; undefined where it cannot be read (or it ended). */
export function threadCpuMs(tid: number): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Node's options that a thread takes in an `execArgv` of its own. Node refuses V8's and the
 * process's there (`--max-semi-space-size`, which `npm start` gives, among them); the thread has
 * those already, as the process's.
 */
const THREAD_OPTIONS = new Set([
  '--enable-source-maps',
  '--preserve-symlinks',
  '--no-warnings',
  '--no-deprecation',
  '--pending-deprecation',
  '--throw-deprecation',
  '--trace-deprecation',
  '--trace-warnings',
  '--trace-uncaught',
  '--trace-exit',
]);
/** Those with a value: `--name=value` or `--name value`. */
const THREAD_VALUED = new Set(['--conditions', '--disable-warning', '--unhandled-rejections']);

/**
 * A thread runs its module alone: of the process's command-line options, those above, and no
 * NODE_OPTIONS. Not the preloads (`--import`, `--require`, `--loader`): one meant for the process
 * (an APM agent, a test runner's hooks) loaded again into each thread made a thread's start take
 * ~0.7 s instead of ~0.07 s.
 */
export function threadOptions(
  execArgv: string[],
  env: NodeJS.ProcessEnv,
): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const name = arg.split('=', 1)[0]!;
    if (THREAD_OPTIONS.has(arg)) kept.push(arg);
    else if (THREAD_VALUED.has(name)) {
      kept.push(arg);
      if (arg === name && i + 1 < execArgv.length) kept.push(execArgv[++i]!);
    }
  }
  const { NODE_OPTIONS: _options, ...rest } = env;
  return { execArgv: kept, env: rest };
}

interface Job<I, O> {
  id: number;
  input: I;
  owner: string;
  affinity: string;
  resolve: (v: O) => void;
  reject: (e: Error) => void;
  /** Called when a thread takes the job (it can no longer be withdrawn). */
  taken?: () => void;
}

interface Slot<I, O> {
  worker: Worker;
  /** Closed before the thread is ended: no zlib call of its is cut in two (git/zlib.ts). */
  gate: SharedArrayBuffer;
  /** The thread has loaded its module: a job's budget starts only then. */
  ready: boolean;
  job: Job<I, O> | null;
  /** When the job started running: its thread ready (performance.now()). */
  since: number;
  /** The thread's id in the kernel (Linux), and its CPU time (ms) when the job started running. */
  tid?: number;
  cpuSince?: number | undefined;
  /** A thread beyond the first, idle: its end (`extraAfterMs`). */
  idleEnd?: NodeJS.Timeout;
  timer?: NodeJS.Timeout;
}

/** A pool of worker threads running one kind of job. */
export class WorkerPool<I, O> {
  readonly #slots: Array<Slot<I, O>> = [];
  readonly #queues = new Map<string, Array<Job<I, O>>>();
  #queued = 0;
  #next = 1;
  #closed = false;
  #idle: NodeJS.Timeout | undefined;
  /** A look again at the queue once a running job has run `extraAfterMs`. */
  #recheck: NodeJS.Timeout | undefined;

  constructor(readonly o: PoolOptions<I, O>) {
    const eager = o.eager ? (o.extraAfterMs !== undefined ? Math.min(1, o.threads) : o.threads) : 0;
    for (let i = 0; i < eager; i++) this.#slots.push(this.#spawn());
  }

  /** Threads started and not ended. */
  get threads(): number {
    return this.#slots.length;
  }

  /** Jobs waiting for a thread. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Run a job for `owner`. Jobs with the same `affinity` (a repository) prefer the same thread,
   * whose caches then stay warm. A job whose `signal` aborts before a thread takes it leaves the
   * queue and rejects with the signal's reason; once running, it runs to its end or its budget.
   */
  run(input: I, owner: string, affinity: string, signal?: AbortSignal): Promise<O> {
    if (this.#closed) return Promise.reject(new Unavailable(`the ${this.o.name} is shutting down`));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const mine = this.#queues.get(owner);
    if (this.#queued >= this.o.maxQueued || (mine?.length ?? 0) >= this.o.maxQueuedPerOwner) {
      this.o.log('warn', 'worker-queue-full', { pool: this.o.name, owner, queued: this.#queued });
      try {
        return Promise.resolve(this.o.turnedAway(input));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return new Promise((resolve, reject) => {
      const job: Job<I, O> = { id: this.#next++, input, owner, affinity, resolve, reject };
      if (mine) mine.push(job);
      else this.#queues.set(owner, [job]);
      this.#queued++;
      if (signal) {
        // Listened to only while the job waits: a thread that takes it lets go of the listener.
        const withdraw = () => this.#withdraw(job, signal.reason as Error);
        signal.addEventListener('abort', withdraw, { once: true });
        job.taken = () => signal.removeEventListener('abort', withdraw);
      }
      this.#dispatch();
    });
  }

  /** Take a job out of the queue before a thread has it (nothing happens to one already taken). */
  #withdraw(job: Job<I, O>, reason: Error): void {
    const jobs = this.#queues.get(job.owner);
    const at = jobs?.indexOf(job) ?? -1;
    if (at === -1) return;
    jobs!.splice(at, 1);
    if (jobs!.length === 0) this.#queues.delete(job.owner);
    this.#queued--;
    job.reject(reason);
  }

  #spawn(): Slot<I, O> {
    const gate = newGate();
    const worker = new Worker(this.o.module, {
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      workerData: { [GATE_KEY]: gate },
      ...threadOptions(process.execArgv, process.env),
    });
    const slot: Slot<I, O> = { worker, gate, ready: false, job: null, since: 0 };
    slot.worker.on('message', (m: { ready?: true; tid?: number; id: number; output?: O; error?: string }) => {
      if (m.ready) {
        slot.ready = true;
        // A kernel that keeps no per-thread CPU time shows 0 there: the clock is used then.
        if (m.tid !== undefined && (threadCpuMs(m.tid) ?? 0) > 0) slot.tid = m.tid;
        if (slot.job) this.#startBudget(slot, slot.job);
        this.#dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      this.#free(slot);
      if ('output' in m) job.resolve(m.output as O);
      else job.reject(new Error(m.error ?? `${this.o.name} failed`));
    });
    slot.worker.on('error', (e) => {
      const job = slot.job;
      this.o.log('error', 'worker-thread-failed', { pool: this.o.name, error: e });
      this.#replace(slot);
      job?.reject(e);
    });
    slot.worker.unref();
    return slot;
  }

  #free(slot: Slot<I, O>): void {
    clearTimeout(slot.timer);
    slot.job = null;
    slot.worker.unref();
    this.#dispatch();
    if (this.o.extraAfterMs !== undefined) {
      // Each thread beyond the first ends on its own once idle, however busy the first is.
      if (!slot.job && slot !== this.#slots[0])
        slot.idleEnd = setTimeout(() => this.#endIdle(slot), IDLE_END_MS).unref();
    } else if (this.#slots.length > 1 && this.#slots.every((s) => !s.job)) {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => this.#endExtra(), IDLE_END_MS).unref();
    }
  }

  /** A thread beyond the first, idle for a while while the first works on (`extraAfterMs`): ended. */
  #endIdle(slot: Slot<I, O>): void {
    const at = this.#slots.indexOf(slot);
    if (this.#closed || slot.job || at < 1) return;
    this.#slots.splice(at, 1);
    void endThread(slot);
  }

  /** Every thread idle for a while: end all but one (it stays warm; others start again on need). */
  #endExtra(): void {
    if (this.#closed) return;
    for (const slot of this.#slots.slice(1)) {
      if (slot.job) continue;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      void endThread(slot);
    }
  }

  #replace(slot: Slot<I, O>): void {
    clearTimeout(slot.timer);
    slot.job = null;
    void endThread(slot);
    const i = this.#slots.indexOf(slot);
    if (i !== -1) {
      // A thread beyond the first of a pool that works as one starts again only on need.
      if (this.#closed || (this.o.extraAfterMs !== undefined && i > 0)) this.#slots.splice(i, 1);
      else this.#slots[i] = this.#spawn();
    }
    this.#dispatch();
  }

  /**
   * Whose job is next: owners in turn, but one with a job at work already waits behind one with
   * none. With `extraAfterMs`, while the first thread is busy (only a thread beyond it could take
   * the job) an owner with a job at work is not served at all: the thread a long job lets start is
   * for everyone else, so one principal's heavy pushes never hold both threads, even against an
   * owner who comes a moment later.
   */
  #nextOwner(): string | undefined {
    let first: string | undefined;
    for (const owner of this.#queues.keys()) {
      if (!this.#slots.some((s) => s.job?.owner === owner)) return owner;
      first ??= owner;
    }
    return this.o.extraAfterMs !== undefined && this.#slots[0]?.job ? undefined : first;
  }

  /** The owner's next job: the owner served is moved to the back of the turn. */
  #take(owner: string): Job<I, O> {
    const jobs = this.#queues.get(owner)!;
    const job = jobs.shift()!;
    this.#queues.delete(owner);
    if (jobs.length > 0) this.#queues.set(owner, jobs);
    this.#queued--;
    return job;
  }

  /**
   * A free thread for a job: its home thread if free, another free one, or a new one. With
   * `extraAfterMs`: the first thread, else another only while a long job holds one.
   */
  #slotFor(affinity: string): Slot<I, O> | undefined {
    if (this.o.extraAfterMs !== undefined) {
      const first = this.#slots[0];
      if (first && !first.job) return first;
      if (!this.#held()) return undefined;
    } else {
      let h = 0;
      for (const c of affinity) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      const home = this.#slots.length === this.o.threads ? this.#slots[h % this.o.threads] : undefined;
      if (home && !home.job) return home;
    }
    const free = this.#slots.find((s) => !s.job);
    if (free) return free;
    if (this.#slots.length >= this.o.threads) return undefined;
    const slot = this.#spawn();
    this.#slots.push(slot);
    return slot;
  }

  /**
   * A running job is long (see `extraAfterMs`), or there is no such wait: a thread beyond the
   * first may take a job. Otherwise the queue is looked at again when the first running job could
   * be long: CPU time grows no faster than the clock.
   */
  #held(): boolean {
    const after = this.o.extraAfterMs;
    if (after === undefined || this.#slots.length === 0) return true;
    // A thread still loading its module is on its way; its 'ready' looks at the queue again.
    if (this.#slots.some((s) => !s.ready)) return false;
    const now = performance.now();
    let left = Infinity;
    for (const s of this.#slots) {
      if (!s.job) continue;
      const ran = now - s.since;
      const cpu = s.tid === undefined ? undefined : threadCpuMs(s.tid);
      const used = cpu !== undefined && s.cpuSince !== undefined ? cpu - s.cpuSince : ran;
      if (used >= after || ran >= after * HELD_WALL_FACTOR) return true;
      left = Math.min(left, after - used, after * HELD_WALL_FACTOR - ran);
    }
    if (!this.#recheck && left !== Infinity)
      this.#recheck = setTimeout(() => {
        this.#recheck = undefined;
        this.#dispatch();
      }, left + 1).unref();
    return false;
  }

  #dispatch(): void {
    while (this.#queued > 0 && !this.#closed) {
      const owner = this.#nextOwner();
      if (owner === undefined) return;
      const slot = this.#slotFor(this.#queues.get(owner)![0]!.affinity);
      if (!slot) return;
      const job = this.#take(owner);
      job.taken?.();
      slot.job = job;
      clearTimeout(this.#idle);
      clearTimeout(slot.idleEnd);
      // A thread at work keeps the process alive until it answers; an idle one does not.
      slot.worker.ref();
      if (slot.ready) this.#startBudget(slot, job);
      slot.worker.postMessage({ id: job.id, input: job.input });
    }
  }

  #startBudget(slot: Slot<I, O>, job: Job<I, O>): void {
    slot.since = performance.now();
    if (this.o.extraAfterMs !== undefined && slot.tid !== undefined) slot.cpuSince = threadCpuMs(slot.tid);
    slot.timer = setTimeout(() => {
      this.o.log('warn', 'worker-budget-exceeded', { pool: this.o.name, budgetMs: this.o.budgetMs, owner: job.owner });
      this.#replace(slot);
      try {
        job.resolve(this.o.overBudget(job.input));
      } catch (e) {
        job.reject(e as Error);
      }
    }, this.o.budgetMs);
  }

  /** End every thread; jobs still queued are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    clearTimeout(this.#recheck);
    const stopped = new Unavailable(`the ${this.o.name} is shutting down`);
    for (const jobs of this.#queues.values()) for (const job of jobs) job.reject(stopped);
    this.#queues.clear();
    this.#queued = 0;
    for (const s of this.#slots) {
      clearTimeout(s.timer);
      s.job?.reject(stopped);
      s.job = null;
    }
    await Promise.all(this.#slots.map(endThread));
  }
}

/**
 * End a thread, once no zlib call of its is inside (it may be at work: a job past its budget). A
 * thread that has ended already (Node gives it the id -1) has no call to wait for.
 */
export async function endThread({ worker, gate }: { worker: Worker; gate: SharedArrayBuffer }): Promise<void> {
  await closeGate(gate, () => worker.threadId === -1);
  await worker.terminate();
}

/**
 * How long every thread of a pool goes without a job before all but one end: a thread holds
 * 20–30 MB (its heap, its loaded modules) that a quiet server need not keep; starting one again
 * costs a few hundred ms of module loading, paid only when pushes come at once.
 */
export const IDLE_END_MS = 3000;

/** How long a thread goes without a job before it lets go of memory (`serveJobs`). */
export const IDLE_RELEASE_MS = 2000;

/** This thread's heap, for its compactions once idle (a worker module's thread; serveJobs). */
export const threadHeap = new HeapGrowth();

/**
 * In a worker module: answer the pool's jobs with `fn` (jobs posted before this are kept for it).
 * After `IDLE_RELEASE_MS` without a job the thread calls `release` (drop what it need not keep)
 * and, if its heap grew since the last time, compacts it in a full collection: V8 keeps a heap
 * grown under load at that size while nothing allocates, so without this a burst of pushes left
 * each thread tens of MB larger for good.
 */
export function serveJobs<I, O>(fn: (input: I) => Promise<O>, release?: () => void): void {
  let running = 0;
  let idle: NodeJS.Timeout | undefined;
  parentPort?.on('message', (job: { id: number; input: I }) => {
    running++;
    clearTimeout(idle);
    const done = () => {
      if (--running === 0) idle = setTimeout(() => releaseMemory(release), IDLE_RELEASE_MS).unref();
    };
    fn(job.input).then(
      (output) => {
        done();
        parentPort?.postMessage({ id: job.id, output });
      },
      (e: unknown) => {
        done();
        parentPort?.postMessage({
          id: job.id,
          error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e),
        });
      },
    );
  });
  parentPort?.postMessage({ ready: true, tid: kernelThreadId() });
}

/** Drop what `release` drops, then a compacting full collection of this thread's heap if it grew (heapRelease.ts). */
function releaseMemory(release: (() => void) | undefined): void {
  release?.();
  threadHeap.compact();
}
