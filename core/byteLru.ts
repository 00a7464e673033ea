// A memo bounded in bytes (issue 17: every cache states its bound in bytes, not entries). The
// caller gives each value's estimated size; the least recently used values are forgotten first,
// and a value over a quarter of the bound is not kept (it would push out everything else).

/** Values by key, the least recently used forgotten past a bound in bytes. */
export class ByteLru<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    if (bytes > this.maxBytes / 4 || this.#entries.has(key)) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes;
    }
  }

  /** Forget a key's value, if held. */
  delete(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
  }

  /** Forget every value. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Values held. */
  get size(): number {
    return this.#entries.size;
  }
}
