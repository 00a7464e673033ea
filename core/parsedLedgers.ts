// Ledgers read from a record's objects, remembered by blob id across records and readers. A blob id
// names its bytes, so a parse holds wherever that blob is; after a push the server's events feed
// and its "my records" index both want the thread's new ledger, and the next push wants it again
// as the old one: one YAML parse a push instead of three on the main thread (issue 17). The values
// are shared: read them, never change them.

import { readLedger, type Ledger } from './ledger.js';
import type { Oid } from './objects.js';
import type { ObjectSource } from './source.js';

/** Ledgers kept at most: a ledger of a few participants is about 2 KB parsed, so a few megabytes. */
const MAX_LEDGERS = 2048;
const parsed = new Map<Oid, Ledger | null>();

/** The ledger in blob `oid` of `source`, or null when it is missing or not a valid ledger. */
export async function parsedLedger(source: ObjectSource, oid: Oid): Promise<Ledger | null> {
  const known = parsed.get(oid);
  if (known !== undefined || parsed.has(oid)) {
    parsed.delete(oid); // most recently used last: the bound forgets the oldest
    parsed.set(oid, known ?? null);
    return known ?? null;
  }
  const o = await source.read(oid);
  const read = o ? readLedger(o.content) : null;
  const ledger = read?.ok ? read.value : null;
  // A missing blob is not remembered: it may be there on the next read (a push still landing).
  if (o) parsed.set(oid, ledger);
  if (parsed.size > MAX_LEDGERS) {
    const oldest = parsed.keys().next();
    if (!oldest.done) parsed.delete(oldest.value);
  }
  return ledger;
}
