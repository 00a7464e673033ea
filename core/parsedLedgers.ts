// Ledgers read from a record's objects, remembered by blob id across records and readers. A blob id
// names its bytes, so a parse holds wherever that blob is; after a push the server's events feed
// and its "my records" index both want the thread's new ledger, and the next push wants it again
// as the old one: one YAML parse a push instead of three on the main thread (issue 17). The values
// are shared, so they are frozen: a reader that changed one would change it for every record.

import { readLedger, type Ledger } from './ledger.js';
import type { Oid } from './objects.js';
import type { ObjectSource } from './source.js';

/**
 * The memo's bound in bytes, counted as a blob's size times PARSE_FACTOR (a parsed 60 KB ledger of
 * 546 participants held 145 KB of heap, measured): 8 MiB, a few thousand ordinary ledgers.
 */
const MAX_BYTES = 8 * 1024 * 1024;
const PARSE_FACTOR = 3;
const parsed = new Map<Oid, { ledger: Ledger | null; bytes: number }>();
let held = 0;

/** Freeze a parsed value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The ledger in blob `oid` of `source` (frozen), or null when it is missing or not a valid ledger. */
export async function parsedLedger(source: ObjectSource, oid: Oid): Promise<Ledger | null> {
  const known = parsed.get(oid);
  if (known) {
    parsed.delete(oid); // most recently used last: the bound forgets the oldest
    parsed.set(oid, known);
    return known.ledger;
  }
  const o = await source.read(oid);
  // A missing blob is not remembered: it may be there on the next read (a push still landing).
  if (!o) return null;
  const read = readLedger(o.content);
  const entry = { ledger: read.ok ? deepFreeze(read.value) : null, bytes: o.content.length * PARSE_FACTOR };
  if (entry.bytes > MAX_BYTES / 4) return entry.ledger;
  parsed.set(oid, entry);
  held += entry.bytes;
  for (const [old, e] of parsed) {
    if (held <= MAX_BYTES) break;
    parsed.delete(old);
    held -= e.bytes;
  }
  return entry.ledger;
}

/** Forget every parse (a validator thread gone idle lets go of its memory: server/validator.ts). */
export function forgetParsedLedgers(): void {
  parsed.clear();
  held = 0;
}

/** Bytes the memo counts now (for tests of its bound). */
export function parsedLedgerBytes(): number {
  return held;
}
