// "My records" on the embedded database: participant id → record ids, kept beside each record's
// indexed head. A move writes only the difference between the old and the new participant sets,
// in one transaction, so the cost of a write follows what changed, not how many records exist.

import type { Page, RecordIndex } from '../identity.js';
import type { Db } from './db.js';

/** The participant → records index of one database. */
export class SqliteRecordIndex implements RecordIndex {
  readonly #db: Db;
  readonly #q;

  constructor(db: Db) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      head: p('SELECT head FROM record_heads WHERE record = ?').pluck(),
      setHead: p(
        'INSERT INTO record_heads (record, head) VALUES (?, ?) ON CONFLICT (record) DO UPDATE SET head = excluded.head',
      ),
      participants: p('SELECT participant_id FROM record_participants WHERE record = ?').pluck(),
      add: p('INSERT OR IGNORE INTO record_participants (participant_id, record) VALUES (?, ?)'),
      remove: p('DELETE FROM record_participants WHERE participant_id = ? AND record = ?'),
      forgetAll: p('DELETE FROM record_participants WHERE record = ?'),
      forgetHead: p('DELETE FROM record_heads WHERE record = ?'),
      recordsOf: p(
        'SELECT record FROM record_participants WHERE participant_id = ? AND record > ? ORDER BY record LIMIT ?',
      ).pluck(),
      complete: p("SELECT value FROM meta WHERE key = 'record_index_complete'").pluck(),
      markComplete: p("INSERT OR REPLACE INTO meta (key, value) VALUES ('record_index_complete', ?)"),
      indexed: p('SELECT record, head FROM record_heads WHERE record > ? ORDER BY record LIMIT ?'),
    };
  }

  /**
   * Run an index write without waiting for its fsync: the index is derived from the records and
   * caught up at every start (heads compared), so a write lost to a power cut costs nothing, while
   * an fsync per push would hold the event loop (better-sqlite3 is synchronous). WAL keeps the
   * database consistent either way; the next fsynced commit (a principal or token change) makes
   * these durable too.
   */
  #relaxed(fn: () => void): void {
    this.#db.pragma('synchronous = NORMAL');
    try {
      this.#db.transaction(fn).immediate();
    } finally {
      this.#db.pragma('synchronous = FULL');
    }
  }

  async recordMoved(record: string, head: string, participantIds: Iterable<string>): Promise<void> {
    const next = new Set(participantIds);
    this.#relaxed(() => {
      const before = new Set(this.#q.participants.all(record) as string[]);
      for (const id of before) if (!next.has(id)) this.#q.remove.run(id, record);
      for (const id of next) if (!before.has(id)) this.#q.add.run(id, record);
      this.#q.setHead.run(record, head);
    });
  }

  async indexedHead(record: string): Promise<string | null> {
    return (this.#q.head.get(record) as string | undefined) ?? null;
  }

  async complete(): Promise<boolean> {
    return this.#q.complete.get() !== undefined;
  }

  async markComplete(): Promise<void> {
    this.#q.markComplete.run(new Date().toISOString());
  }

  async indexed(after: string | undefined, limit: number): Promise<Array<{ record: string; head: string }>> {
    return this.#q.indexed.all(after ?? '', limit) as Array<{ record: string; head: string }>;
  }

  async recordsOf(participantId: string, after: string | undefined, limit: number): Promise<Page<string>> {
    const rows = this.#q.recordsOf.all(participantId, after ?? '', limit + 1) as string[];
    const items = rows.slice(0, limit);
    return rows.length > limit ? { items, next: items[items.length - 1]! } : { items };
  }

  async forget(record: string): Promise<void> {
    this.#relaxed(() => {
      this.#q.forgetAll.run(record);
      this.#q.forgetHead.run(record);
    });
  }

  /** Add many (participant, record) pairs and heads in one transaction (benchmarks, bulk rebuilds). */
  bulkLoad(rows: Iterable<{ record: string; head: string; participants: readonly string[] }>): number {
    // As the principals' bulk import: a page cache for the whole tree while it lasts, then the usual one.
    const usual = this.#db.pragma('cache_size', { simple: true }) as number;
    this.#db.pragma('cache_size = -524288');
    try {
      return this.#bulkLoad(rows);
    } finally {
      this.#db.pragma(`cache_size = ${usual}`);
    }
  }

  #bulkLoad(rows: Iterable<{ record: string; head: string; participants: readonly string[] }>): number {
    return this.#db
      .transaction(() => {
        let n = 0;
        for (const r of rows) {
          for (const id of r.participants) this.#q.add.run(id, r.record);
          this.#q.setHead.run(r.record, r.head);
          n++;
        }
        return n;
      })
      .immediate();
  }
}
