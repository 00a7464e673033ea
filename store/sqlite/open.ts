// Opening a data folder's identity database: the one place that knows its file name, migrates
// principals.json into it, and hands out the stores built on it (one connection per process).

import { join } from 'node:path';
import type { Actor } from '../identity.js';
import { DB_FILE, openDatabase, type Db, type OpenOptions } from './db.js';
import { SqliteIdempotencyStore } from './idempotencyStore.js';
import { SqliteIdentityStore, type UseBatching } from './identityStore.js';
import { migratePrincipalsJson, type MigrationOutcome } from './migrateJson.js';
import { SqliteRecordIndex } from './recordIndex.js';

/** The stores of one data folder, on one database connection. */
export interface IdentityStores {
  db: Db;
  identity: SqliteIdentityStore;
  records: SqliteRecordIndex;
  /** Answers of API writes by Idempotency-Key (issue 16). */
  idempotency: SqliteIdempotencyStore;
  /** What moving principals.json in did at this opening. */
  migration: MigrationOutcome;
  /** Write pending token uses and close the database. */
  close(): Promise<void>;
}

/**
 * Open `<data>/identity.sqlite` (creating and migrating it) and move `<data>/principals.json`
 * into it when one is there. `by` names who opens it in the audit trail (`server`, `cli:<user>`).
 */
export async function openIdentityStores(
  data: string,
  by: Actor,
  options: OpenOptions & { batching?: UseBatching } = {},
): Promise<IdentityStores> {
  const db = openDatabase(join(data, DB_FILE), options);
  const identity = new SqliteIdentityStore(db, options.batching);
  try {
    const migration = options.readonly
      ? { imported: 0, keptAs: null }
      : await migratePrincipalsJson(join(data, 'principals.json'), identity, by);
    return {
      db,
      identity,
      records: new SqliteRecordIndex(db),
      idempotency: new SqliteIdempotencyStore(db),
      migration,
      close: () => identity.close(),
    };
  } catch (e) {
    await identity.close();
    throw e;
  }
}
