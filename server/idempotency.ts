// Idempotency-Key on the API's writes (issue 16): a retried request with the same key from the
// same principal gets the first answer and writes nothing twice, for 24 hours and across restarts
// (answers are kept in the identity database). The same key with another request (method, path or
// body) is 422 IdempotencyKeyReused. A twin arriving while the first is still running waits for
// it. Kept: successes and the refusals a retry would meet again (400, 403, 404, 422); not kept:
// what a retry may cure (409 lost race, 429 quota, 5xx). Bounded: an answer over 16 KiB is not
// kept (the API's own answers are a few hundred bytes), and a principal holds at most 10,000 live
// keys (past that a request with a new key is 429 until some expire).

import { createHash } from 'node:crypto';
import { IdempotencyKeyReused, InvalidInput, isCcrError, QuotaExceeded } from '../core/errors.js';
import type { IdempotencyStore } from '../store/sqlite/idempotencyStore.js';
import type { Answer } from './api.js';
import { errorBody } from './http.js';

/** How long an answer is kept (ms). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Statuses whose answers are kept for a retry. */
const KEPT = new Set([200, 201, 400, 403, 404, 422]);
/** The largest answer kept (bytes of its JSON). */
const MAX_KEPT_BYTES = 16 * 1024;
/** The live keys one principal may hold. */
export const MAX_KEYS_PER_PRINCIPAL = 10_000;

/** A key as the header carries it: 1–200 visible ASCII characters, else InvalidInput. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(header)) {
    throw new InvalidInput('expected Idempotency-Key to be 1–200 visible ASCII characters, sent once');
  }
  return header;
}

/** The fingerprint of a request: method, path and the JSON body as read. */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body)}`)
    .digest('hex');
}

/** An answer, and whether it is a stored one given again. */
export type IdempotentAnswer = Answer & { replayed?: true };

/** The keys of one server. */
export class Idempotency {
  readonly #running = new Map<string, Promise<unknown>>();
  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
    private readonly maxKeys = MAX_KEYS_PER_PRINCIPAL,
  ) {}

  /** Run a write once per (principal, key); without a key, just run it. */
  async run(
    principal: string,
    key: string | undefined,
    print: string,
    work: () => Promise<Answer>,
  ): Promise<IdempotentAnswer> {
    if (key === undefined) return work();
    const slot = `${principal}\n${key}`;
    for (;;) {
      const stored = this.store.get(principal, key, this.clock());
      if (stored) {
        if (stored.fingerprint !== print) {
          throw new IdempotencyKeyReused(
            `Idempotency-Key ${JSON.stringify(key)} was used for another request; use a new key for a new request`,
          );
        }
        return { status: stored.status, body: stored.body, replayed: true };
      }
      const twin = this.#running.get(slot);
      if (!twin) break;
      await twin.catch(() => undefined);
    }
    if (this.store.count(principal, this.clock()) >= this.maxKeys) {
      throw new QuotaExceeded(
        `expected at most ${this.maxKeys} Idempotency-Keys from ${principal} in ${this.ttlMs / 3_600_000} h, found as many already; retry later, or send the request without a key`,
      );
    }
    const done = this.#attempt(principal, key, print, work);
    this.#running.set(slot, done);
    try {
      return await done;
    } finally {
      this.#running.delete(slot);
    }
  }

  async #attempt(principal: string, key: string, print: string, work: () => Promise<Answer>): Promise<Answer> {
    const keep = (status: number, body: unknown) => {
      if (!KEPT.has(status) || Buffer.byteLength(JSON.stringify(body ?? null)) > MAX_KEPT_BYTES) return;
      const now = this.clock();
      this.store.put(principal, key, { fingerprint: print, status, body }, now, now + this.ttlMs);
    };
    try {
      const answer = await work();
      keep(answer.status, answer.body);
      return answer;
    } catch (e) {
      if (isCcrError(e)) {
        const { status, body } = errorBody(e, '');
        keep(status, body);
      }
      throw e;
    }
  }
}
