// The events database of a data folder: `<data>/events.sqlite`, apart from the identity database
// (the feed grows with every move of every record; principals stay small). WAL, every commit
// fsynced, migrated to this code's schema version in one transaction, like identity.sqlite.

import { join } from 'node:path';
import { openDatabase, type Db } from './db.js';

/** The file name of the events database inside a data folder. */
export const EVENTS_FILE = 'events.sqlite';

const migrations: readonly string[] = [
  `CREATE TABLE heads (record TEXT PRIMARY KEY, head TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     record TEXT NOT NULL, kind TEXT NOT NULL, thread TEXT, message TEXT, changes TEXT,
     commit_oid TEXT NOT NULL, head TEXT NOT NULL, time TEXT NOT NULL);
   CREATE INDEX events_record ON events (record, seq);
   CREATE TABLE audience (participant TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (participant, seq)) WITHOUT ROWID;
   CREATE TABLE hooks (
     id TEXT PRIMARY KEY, owner TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
     records TEXT NOT NULL, kinds TEXT, created_at TEXT NOT NULL);
   CREATE TABLE deliveries (
     id TEXT PRIMARY KEY, hook TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
     state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
     last_status INTEGER, last_error TEXT, delivered_at INTEGER);
   CREATE INDEX deliveries_due ON deliveries (hook, state, next_at, seq);
   CREATE INDEX deliveries_hook ON deliveries (hook, created_at);`,
];

/** The schema version this code writes. */
export const EVENTS_SCHEMA_VERSION = migrations.length;

/** The events database, and whether this opening made it (the feed then starts from the records as they are). */
export interface EventsDb {
  db: Db;
  created: boolean;
}

/** Open (creating it, mode 0600: it holds webhook secrets) and migrate `<data>/events.sqlite`. */
export function openEventsDb(data: string): EventsDb {
  const path = join(data, EVENTS_FILE);
  let created = false;
  const db = openDatabase(path, {
    migrations,
    newerHint: 'run the CCR version that wrote it, or move the file away (the feed starts again from the records)',
    // A new feed's cursors start at the clock in microseconds: a feed made again (its file lost)
    // numbers its events above any cursor of the lost one, so a receiver asking after an old
    // cursor gets the new events, not silence.
    onCreate: (d) => {
      created = true;
      d.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(Date.now() * 1000);
    },
  });
  return { db, created };
}
