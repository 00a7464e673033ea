// The per-repository state a worker thread keeps between jobs (object readers with their pack
// caches, parse caches), under one budget in bytes for the thread: states are measured again
// after each job and the least recently used are dropped until the thread is within its budget.
// A state in use when it is dropped keeps working for its job; it is just not kept after it.

/** States by repository, the least recently used dropped past a bound in bytes (and in count). */
export class RepositoryBudget<S> {
  readonly #states = new Map<string, S>();

  /**
   * @param make the state of a repository not held
   * @param measure the bytes a state holds now (it changes as the state is used)
   */
  constructor(
    readonly maxBytes: number,
    readonly maxRepositories: number,
    readonly make: (gitdir: string) => S,
    readonly measure: (state: S) => number,
  ) {}

  /** The state of a repository, made when not held; it becomes the most recently used. */
  get(gitdir: string): S {
    let s = this.#states.get(gitdir);
    if (s) this.#states.delete(gitdir);
    else s = this.make(gitdir);
    this.#states.set(gitdir, s);
    return s;
  }

  /**
   * Measure every state and drop the least recently used until within both bounds (or within
   * `bytes`, a smaller bound for a thread gone idle); gives the bytes kept.
   */
  trim(bytes = this.maxBytes): number {
    let total = 0;
    const sizes = new Map<string, number>();
    for (const [k, s] of this.#states) {
      const n = this.measure(s);
      sizes.set(k, n);
      total += n;
    }
    for (const k of [...this.#states.keys()]) {
      if (total <= Math.min(bytes, this.maxBytes) && this.#states.size <= this.maxRepositories) break;
      this.#states.delete(k);
      total -= sizes.get(k)!;
    }
    return total;
  }

  /** Repositories held. */
  get count(): number {
    return this.#states.size;
  }
}
