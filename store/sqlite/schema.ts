// The schema of the identity database, as migrations: migration N brings a database from
// version N to N + 1 (SQLite's `user_version`). A migration is only ever appended, never edited,
// so every database reaches the same schema by the same steps.

/** The migrations, in order; the schema version of a database is how many of them it has had. */
export const migrations: readonly string[] = [
  // 1: principals, tokens, signing keys, the audit trail, the participant → records index.
  `
  CREATE TABLE principals (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'auditor', 'site', 'integration', 'participant')),
    participant_id TEXT,
    role TEXT,
    display_name TEXT,
    created_at TEXT NOT NULL,
    CHECK ((kind = 'participant') = (participant_id IS NOT NULL AND role IS NOT NULL AND display_name IS NOT NULL)),
    CHECK (kind = 'participant' OR (participant_id IS NULL AND role IS NULL AND display_name IS NULL))
  );
  CREATE INDEX principals_kind ON principals (kind);
  CREATE INDEX principals_participant ON principals (participant_id) WHERE participant_id IS NOT NULL;

  -- Keyed by the hash itself (32 bytes of HMAC-SHA-256), so a sign-in is one descent of one tree;
  -- a token migrated with a scrypt hash holds 'legacy:<id>' there until its first use.
  CREATE TABLE tokens (
    hash BLOB PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    principal INTEGER NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    label TEXT,
    legacy_salt TEXT,
    legacy_hash TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used_at INTEGER,
    CHECK ((legacy_salt IS NULL) = (legacy_hash IS NULL))
  ) WITHOUT ROWID;
  CREATE INDEX tokens_principal ON tokens (principal);
  CREATE INDEX tokens_legacy ON tokens (principal) WHERE legacy_hash IS NOT NULL;

  CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY,
    principal_name TEXT NOT NULL,
    principal INTEGER REFERENCES principals (id) ON DELETE SET NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    comment TEXT,
    valid_after INTEGER,
    valid_before INTEGER,
    created_at TEXT NOT NULL,
    revoked_at INTEGER,
    CHECK (valid_after IS NULL OR valid_before IS NULL OR valid_before > valid_after)
  ) WITHOUT ROWID;
  CREATE INDEX signing_keys_principal ON signing_keys (principal_name);

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    principal TEXT NOT NULL,
    detail TEXT NOT NULL
  );

  CREATE TABLE record_participants (
    participant_id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (participant_id, record)
  ) WITHOUT ROWID;
  CREATE INDEX record_participants_record ON record_participants (record, participant_id);
  CREATE TABLE record_heads (
    record TEXT PRIMARY KEY,
    head TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: participants an admin removed, by name and participant id, so that a sign-on does not create them again.
  `
  CREATE TABLE removed_participants (
    name TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL,
    removed_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX removed_participants_id ON removed_participants (participant_id);
  `,
  // 3: answers of API writes by Idempotency-Key (issue 16), per principal, until they expire.
  `
  CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
  ) WITHOUT ROWID;
  CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
  `,
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = migrations.length;
