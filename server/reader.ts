// Reading records for the API without parsing on the event loop: read tasks run on reader threads
// with a time budget (server/workerPool.ts), and their results are cached by object id (objects
// never change, so neither do results), bounded in bytes. Concurrent asks for the same result
// share one run, so a crowd reading one large record costs one parse.

import { ByteLru } from '../core/byteLru.js';
import { Unavailable } from '../core/errors.js';
import type { Oid } from '../core/objects.js';
import type { Logger } from './log.js';
import type { ReadJob, ReadResult, ReadTask } from './readTasks.js';
import { WorkerPool } from './workerPool.js';

/** How the reader runs. */
export interface ReaderOptions {
  threads: number;
  budgetMs: number;
  cacheBytes: number;
  log: Logger;
}

/** Reads waiting for a reader thread, in all and per principal, before more are turned away (503). */
const MAX_QUEUED = 256;
const MAX_QUEUED_PER_PRINCIPAL = 64;

/** Read tasks on reader threads, cached by object id. */
export class Reader {
  readonly #pool: WorkerPool<ReadJob, unknown>;
  readonly #cache: ByteLru<unknown>;
  readonly #running = new Map<string, Promise<unknown>>();

  constructor(readonly o: ReaderOptions) {
    this.#cache = new ByteLru(o.cacheBytes);
    this.#pool = new WorkerPool<ReadJob, unknown>({
      module: new URL('./readerWorker.js', import.meta.url),
      name: 'reader',
      log: o.log,
      threads: Math.max(1, o.threads),
      budgetMs: o.budgetMs,
      maxQueued: MAX_QUEUED,
      maxQueuedPerOwner: MAX_QUEUED_PER_PRINCIPAL,
      overBudget: (job) => {
        const what = `${job.task} ${job.oid.slice(0, 12)}`;
        throw new Unavailable(
          `reading ${what} took longer than ${o.budgetMs / 1000} s and was stopped; try again later`,
        );
      },
      turnedAway: () => {
        throw new Unavailable('the server is busy reading records; try again in a moment');
      },
    });
  }

  /** Bytes of cached results. */
  get cachedBytes(): number {
    return this.#cache.bytes;
  }

  /**
   * The result of a read task on an object of the repository at `gitdir`, asked for by `owner`
   * (a principal: reads are queued fairly between principals).
   */
  run<K extends ReadTask>(task: K, gitdir: string, oid: Oid, owner: string): Promise<ReadResult<K>> {
    const key = `${task} ${oid}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached as ReadResult<K>);
    let running = this.#running.get(key);
    if (!running) {
      running = this.#pool.run({ task, gitdir, oid }, owner, gitdir).then((value) => {
        this.#cache.set(key, value, key.length + JSON.stringify(value).length);
        return value;
      });
      const mine = running;
      const forget = () => {
        if (this.#running.get(key) === mine) this.#running.delete(key);
      };
      running.then(forget, forget);
      this.#running.set(key, running);
    }
    return running as Promise<ReadResult<K>>;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
