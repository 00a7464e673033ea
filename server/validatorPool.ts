// Validator threads with a time budget. A push whose judgement takes longer than the budget is
// refused with ccr/parse-budget and its thread is ended and replaced: refused, not waited on.

import { Worker } from 'node:worker_threads';
import { error, ruleIds } from '../core/findings.js';
import type { Logger } from './log.js';
import { judgePush, type PushInput, type PushVerdict } from './validator.js';

interface Job {
  id: number;
  input: PushInput;
  resolve: (v: PushVerdict) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer?: NodeJS.Timeout;
}

/** A pool of validator threads (or none: judge in the calling thread, without a budget). */
export class ValidatorPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #next = 1;
  #closed = false;

  constructor(readonly threads: number, readonly budgetMs: number, private readonly log: Logger) {
    for (let i = 0; i < threads; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(new URL('./validatorWorker.js', import.meta.url)), job: null };
    slot.worker.on('message', (m: { id: number; verdict?: PushVerdict; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      this.#finish(slot);
      if (m.verdict) job.resolve(m.verdict);
      else job.reject(new Error(m.error ?? 'validator failed'));
    });
    slot.worker.on('error', (e) => {
      const job = slot.job;
      this.log('error', 'validator-thread-failed', { error: e });
      this.#replace(slot);
      job?.reject(e);
    });
    slot.worker.unref();
    return slot;
  }

  #finish(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = null;
    this.#dispatch();
  }

  #replace(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = null;
    void slot.worker.terminate();
    const i = this.#slots.indexOf(slot);
    if (i !== -1 && !this.#closed) this.#slots[i] = this.#spawn();
    this.#dispatch();
  }

  /** The thread a record's pushes prefer, so its parse caches stay warm (same record, same thread). */
  #home(job: Job): Slot | undefined {
    let h = 0;
    for (const c of job.input.gitdir) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return this.#slots[h % this.#slots.length];
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const job = this.#queue[0]!;
      const home = this.#home(job);
      const slot = home && !home.job ? home : this.#slots.find((s) => !s.job);
      if (!slot) return;
      this.#queue.shift();
      slot.job = job;
      slot.timer = setTimeout(() => {
        this.log('warn', 'validation-budget-exceeded', { budgetMs: this.budgetMs, record: job.input.recordId });
        this.#replace(slot);
        job.resolve({ commits: 0, findings: [error(ruleIds.parseBudget, `expected the push to be judged within ${this.budgetMs / 1000} s; it took longer and is refused (split it into smaller pushes, or shorten deeply structured messages)`)] });
      }, this.budgetMs);
      slot.worker.postMessage({ id: job.id, input: job.input });
    }
  }

  /** Judge a push on a validator thread, within the budget. */
  judge(input: PushInput): Promise<PushVerdict> {
    if (this.threads === 0) return judgePush(input);
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#next++, input, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
