// The evaluation cache: parsed files, trees and commits by object id, carried from one commit to
// the next in a history walk and between pushes to one record. Bounded: at most `limit` entries
// in each of its five maps (4096 by default; the validator keeps 512 per record, for 32 records),
// the oldest forgotten first.

import type { Ledger } from '../ledger.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { Commit, Oid, TreeEntry } from '../objects.js';
import type { CoordinationStatus } from '../status.js';

/** Parsed files by blob id, carried from one commit to the next in a history walk. */
export class EvaluationCache {
  readonly messages = new Map<Oid, { messages: ParsedMessage[]; size: number; lines: number }>();
  readonly ledgers = new Map<Oid, Ledger>();
  readonly statuses = new Map<Oid, CoordinationStatus>();
  readonly trees = new Map<Oid, TreeEntry[]>();
  readonly commits = new Map<Oid, Commit | null>();
  constructor(private readonly limit = 4096) {}

  /** Remember a value, forgetting the oldest entries past the limit. */
  put<V>(map: Map<Oid, V>, oid: Oid, value: V): void {
    map.delete(oid);
    map.set(oid, value);
    if (map.size > this.limit) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }
}
