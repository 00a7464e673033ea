// The answers of API writes by Idempotency-Key (issue 16): one row per principal and key, holding
// a fingerprint of the request and the answer given, until it expires. Kept in the identity
// database so a retry after a restart gets the first answer; expired rows are deleted as new ones come.

import type { Db } from './db.js';

/** A stored answer: the request's fingerprint, the status and the JSON body. */
export interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
}

/** Answers by (principal, key). Times in epoch ms. */
export interface IdempotencyStore {
  /** The answer stored for a key, unless it expired by `now`. */
  get(principal: string, key: string, now: number): StoredAnswer | null;
  /** Keep an answer until `expiresAt`; the first one kept wins. Rows expired by `now` are deleted. */
  put(principal: string, key: string, answer: StoredAnswer, now: number, expiresAt: number): void;
  /** The keys of a principal not expired by `now`. */
  count(principal: string, now: number): number;
}

/** The store on the identity database. */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #get;
  readonly #put;
  readonly #purge;
  readonly #count;
  constructor(db: Db) {
    this.#count = db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM idempotency_keys WHERE principal = ? AND expires_at > ?',
    );
    this.#get = db.prepare<[string, string, number], { fingerprint: string; status: number; body: string }>(
      'SELECT fingerprint, status, body FROM idempotency_keys WHERE principal = ? AND key = ? AND expires_at > ?',
    );
    this.#put = db.prepare(
      'INSERT INTO idempotency_keys (principal, key, fingerprint, status, body, created_at, expires_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (principal, key) DO UPDATE SET fingerprint = excluded.fingerprint, ' +
        'status = excluded.status, body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at ' +
        'WHERE idempotency_keys.expires_at <= excluded.created_at',
    );
    this.#purge = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  }

  get(principal: string, key: string, now: number): StoredAnswer | null {
    const row = this.#get.get(principal, key, now);
    return row ? { fingerprint: row.fingerprint, status: row.status, body: JSON.parse(row.body) as unknown } : null;
  }

  count(principal: string, now: number): number {
    return this.#count.get(principal, now)!.n;
  }

  put(principal: string, key: string, answer: StoredAnswer, now: number, expiresAt: number): void {
    this.#purge.run(now);
    this.#put.run(
      principal,
      key,
      answer.fingerprint,
      answer.status,
      JSON.stringify(answer.body ?? null),
      now,
      expiresAt,
    );
  }
}
