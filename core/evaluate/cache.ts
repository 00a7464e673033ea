// The evaluation cache: parsed files, trees and commits by object id, carried from one commit to
// the next in a history walk and between pushes to one record. Bounded twice: at most `limit`
// entries in each of its five maps (4096 by default; the validator keeps 512 per record), and at
// most `maxBytes` estimated bytes across them (issue 17: every cache has a bound in bytes), the
// oldest forgotten first.

import type { Ledger } from '../ledger.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { Commit, Oid, TreeEntry } from '../objects.js';
import type { CoordinationStatus } from '../status.js';

/**
 * Bytes of memory a parsed messages.md takes per byte of its source. Measured 1.5 (V8 heap after
 * parsing the seed fixture 200 times over, source included); twice that, for margin.
 */
export const PARSED_MESSAGES_FACTOR = 3;

/** Bytes an entry takes besides its value: the key (a 40-character id) and the maps' slots. */
const ENTRY_BYTES = 160;

/** Estimated bytes of a value of one of the five maps. */
function estimate(value: unknown): number {
  if (value === null || value === undefined) return ENTRY_BYTES;
  if (Array.isArray(value)) {
    // A tree: each entry an object with a mode, a name and an id.
    let n = ENTRY_BYTES;
    for (const e of value as TreeEntry[]) n += 120 + 2 * e.name.length;
    return n;
  }
  const v = value as { messages?: unknown; size?: number };
  if (Array.isArray(v.messages) && typeof v.size === 'number') return ENTRY_BYTES + PARSED_MESSAGES_FACTOR * v.size;
  // A commit, a ledger or a status: small objects of strings; their JSON, twice over (UTF-16
  // strings, object headers).
  return ENTRY_BYTES + 2 * JSON.stringify(value).length;
}

/** Parsed files by blob id, carried from one commit to the next in a history walk. */
export class EvaluationCache {
  readonly messages = new Map<Oid, { messages: ParsedMessage[]; size: number; lines: number }>();
  readonly ledgers = new Map<Oid, Ledger>();
  readonly statuses = new Map<Oid, CoordinationStatus>();
  readonly trees = new Map<Oid, TreeEntry[]>();
  readonly commits = new Map<Oid, Commit | null>();
  /** Every entry of the five maps in the order put, with its estimated bytes. */
  readonly #order = new Map<string, { map: Map<Oid, unknown>; oid: Oid; bytes: number }>();
  readonly #names = new Map<Map<Oid, unknown>, string>([
    [this.messages, 'm'],
    [this.ledgers, 'l'],
    [this.statuses, 's'],
    [this.trees, 't'],
    [this.commits, 'c'],
  ]);
  #bytes = 0;

  constructor(
    private readonly limit = 4096,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Estimated bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Remember a value, forgetting the oldest entries past the entry limit and the byte bound. */
  put<V>(map: Map<Oid, V>, oid: Oid, value: V): void {
    const m = map as Map<Oid, unknown>;
    this.#forget(m, oid);
    const bytes = estimate(value);
    // A value over a quarter of the bound is not kept: it would push out everything else.
    if (bytes > this.maxBytes / 4) return;
    map.set(oid, value);
    this.#order.set(this.#key(m, oid), { map: m, oid, bytes });
    this.#bytes += bytes;
    if (map.size > this.limit) {
      const oldest = map.keys().next();
      if (!oldest.done) this.#forget(m, oldest.value);
    }
    for (const e of this.#order.values()) {
      if (this.#bytes <= this.maxBytes) break;
      this.#forget(e.map, e.oid);
    }
  }

  #key(map: Map<Oid, unknown>, oid: Oid): string {
    return `${this.#names.get(map) ?? '?'}${oid}`;
  }

  #forget(map: Map<Oid, unknown>, oid: Oid): void {
    const key = this.#key(map, oid);
    const e = this.#order.get(key);
    if (e) {
      this.#order.delete(key);
      this.#bytes -= e.bytes;
    }
    map.delete(oid);
  }
}
