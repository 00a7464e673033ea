// Validator threads with a time budget. A push whose judgement takes longer than the budget is
// refused with ccr/parse-budget and its thread is ended and replaced: refused, not waited on. A
// push that finds too many others waiting is refused at once, with the same rule id.

import { availableParallelism } from 'node:os';
import { error, ruleIds } from '../core/findings.js';
import type { Logger } from './log.js';
import { judgeIncoming, type IncomingInput } from '../sync/judgeIncoming.js';
import {
  deriveMove,
  judgePush,
  type DeriveInput,
  type MainAfter,
  type PushInput,
  type PushVerdict,
} from './validator.js';
import { WorkerPool } from './workerPool.js';

/** Pushes waiting for a validator thread, in all and per principal, before more are refused. */
const MAX_QUEUED = 256;
const MAX_QUEUED_PER_PRINCIPAL = 64;

/**
 * On two cores or fewer the validator works as one thread: a second one takes jobs only while a
 * running job has used this much of the CPU (or held its thread 5 times as long), so a long
 * judgement holds the others up for little more than this (and the new thread's start), then ends
 * once idle (server/workerPool.ts `extraAfterMs`). A second thread's own JIT compiling and garbage
 * collection cost the machine more than its parallelism gives when both cores are busy anyway:
 * 8 pushers with one thread, 34.0 against 37.5 ms of CPU a push. Measured by the clock, as it
 * first was, a busy machine's short jobs passed 50 ms and kept the second thread at work for the
 * whole burst; by CPU time, 8 pushers cost ~5 % less CPU a push (docs/benchmarks.md).
 */
const EXTRA_THREAD_AFTER_MS = 50;

/** The verdict of a push the pool could not judge in time. */
function refused(message: string): PushVerdict {
  return { commits: 0, findings: [error(ruleIds.parseBudget, message)] };
}

type Input = PushInput | IncomingInput | DeriveInput;
/** A job's output: a verdict for a push or a peer's commits, what a move brings for a derivation. */
type Output = PushVerdict | MainAfter | undefined;

/** A pool of validator threads (or none: judge in the calling thread, without a budget). */
export class ValidatorPool {
  readonly #pool: WorkerPool<Input, Output> | null;

  constructor(
    readonly threads: number,
    readonly budgetMs: number,
    log: Logger,
  ) {
    this.#pool =
      threads === 0
        ? null
        : new WorkerPool<Input, Output>({
            module: new URL('./validatorWorker.js', import.meta.url),
            threads,
            budgetMs,
            eager: true,
            ...(availableParallelism() <= 2 ? { extraAfterMs: EXTRA_THREAD_AFTER_MS } : {}),
            name: 'validator',
            log,
            maxQueued: MAX_QUEUED,
            maxQueuedPerOwner: MAX_QUEUED_PER_PRINCIPAL,
            // A derivation past its budget or turned away gives nothing: the server reads main instead.
            overBudget: (input) =>
              input.kind === 'derive'
                ? undefined
                : refused(
                    input.kind === 'incoming'
                      ? `expected the peer's commits to be judged within ${budgetMs / 1000} s, as a push is; it took longer and they are refused`
                      : `expected the push to be judged within ${budgetMs / 1000} s; it took longer and is refused ` +
                          '(split it into smaller pushes, or shorten deeply structured messages)',
                  ),
            turnedAway: (input) =>
              input.kind === 'derive'
                ? undefined
                : refused(
                    'expected a free validator, found too many pushes waiting to be judged; ' +
                      'nothing was changed, push again in a moment',
                  ),
          });
  }

  /** Judge a push on a validator thread, within the budget; `signal` withdraws it while it waits for one. */
  judge(input: PushInput, signal?: AbortSignal): Promise<PushVerdict> {
    return this.#pool
      ? (this.#pool.run(input, input.principal.name, input.gitdir, signal) as Promise<PushVerdict>)
      : judgePush(input);
  }

  /** Judge a peer's commits fetched by a sync round on a validator thread, within the same budget as a push. */
  judgeIncoming(input: IncomingInput): Promise<PushVerdict> {
    return this.#pool ? (this.#pool.run(input, 'sync', input.gitdir) as Promise<PushVerdict>) : judgeIncoming(input);
  }

  /**
   * What a landed push's move brings (server/validator.ts deriveMove), on the thread that judged
   * it when that one is free; undefined when it cannot be derived (never rejects).
   */
  derive(input: DeriveInput): Promise<MainAfter | undefined> {
    const derived = this.#pool
      ? (this.#pool.run(input, 'derive', input.gitdir) as Promise<MainAfter | undefined>)
      : deriveMove(input);
    return derived.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }
}
