// The embedded databases of a data folder (`<data>/identity.sqlite`, and the events feed's
// `<data>/events.sqlite` with its own migrations), each opened once per process, in
// WAL mode (readers never wait for the writer; the server and `ccr principal` may use it at once),
// every commit fsynced (synchronous=FULL: a principal or token change that was answered is on
// disk), foreign keys on, migrated to the schema version of this code inside one transaction.

import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { CannotStart } from '../../core/errors.js';
import { migrations as identityMigrations } from './schema.js';

/** An open better-sqlite3 database. */
export type Db = Database.Database;

/** The file name of the identity database inside a data folder. */
export const DB_FILE = 'identity.sqlite';

/** How the database is opened. */
export interface OpenOptions {
  /** Read-only (validator threads looking up bindings); never migrates. */
  readonly?: boolean;
  /** Wait this long for another process's write transaction before failing (ms). */
  busyTimeoutMs?: number;
  /** The schema's migration steps, in order (default: the identity database's, schema.ts). */
  migrations?: readonly string[];
  /** What to do when the file is of a newer schema (the hint of the refusal). */
  newerHint?: string;
  /** Run inside the migration's transaction when the database is new (schema version 0). */
  onCreate?: (db: Db) => void;
}

/**
 * Open (creating it, mode 0600, when missing) and migrate the database at `path`. A database of
 * a newer schema than this code knows is refused: an older CCR must not write into it.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (!options.readonly) closeSync(openSync(path, 'a', 0o600)); // SQLite gives -wal and -shm the same mode
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    // Look-ups by token hash, name or participant touch a few pages of large indexes: map the file
    // (the OS keeps hot pages; nothing is read up front) and keep a bounded page cache.
    db.pragma('mmap_size = 1073741824');
    db.pragma('cache_size = -32768');
    const steps = options.migrations ?? identityMigrations;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > steps.length) {
      throw new CannotStart(`${path} has schema version ${version}, newer than this CCR knows (${steps.length})`, {
        hint: options.newerHint ?? 'run the CCR version that wrote it, or restore the database from a backup',
      });
    }
    if (version < steps.length && !options.readonly) migrate(db, steps, options.onCreate);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Bring the database to the last step's version, in one immediate transaction. */
function migrate(db: Db, steps: readonly string[], onCreate?: (db: Db) => void): void {
  db.transaction(() => {
    // Read again inside the write lock: another process may have migrated meanwhile.
    const from = db.pragma('user_version', { simple: true }) as number;
    for (let v = from; v < steps.length; v++) {
      db.exec(steps[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
    if (from === 0) onCreate?.(db);
  }).immediate();
}
