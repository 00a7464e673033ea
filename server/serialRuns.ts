// One job per key at a time, for background work triggered by "main of this record moved": asked
// again while the key's job runs, the job runs once more after it (however often it was asked),
// so the last move is always seen and no two runs of one key overlap. Used by the "my records"
// index and the events feed.

export class SerialRuns<K> {
  readonly #running = new Map<K, Promise<void>>();
  readonly #again = new Set<K>();

  /** `job` must not throw (it reports its own failures). */
  constructor(private readonly job: (key: K) => Promise<void>) {}

  /** Run the job for `key` now, or once more after the run going on. */
  request(key: K): void {
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    const run = (async () => {
      do {
        this.#again.delete(key);
        await this.job(key);
      } while (this.#again.has(key));
    })().finally(() => this.#running.delete(key));
    this.#running.set(key, run);
  }

  /** From inside a run: run the job for `key` once more after this run. */
  again(key: K): void {
    this.#again.add(key);
  }

  /** The run going on for `key`, if any. */
  running(key: K): Promise<void> | undefined {
    return this.#running.get(key);
  }

  /** Resolves when no run is going on (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()]);
  }
}
