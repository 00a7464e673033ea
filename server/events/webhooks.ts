// Webhooks (issue 16): hooks registered by admin and integration principals, to hosts on the
// operator's allow-list only; each event a hook wants becomes a delivery row in the same
// transaction that stores the event (server/events/feed.ts), so nothing promised is lost to a
// crash. Deliveries run after, off the request path: a bounded number at once, each with a
// timeout, no redirects followed, retried with exponential back-off for a day. Delivery is
// at-least-once; the delivery id (X-CCR-Delivery) stays the same across retries and restarts.

import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Forbidden, InvalidInput, NotFound } from '../../core/errors.js';
import { type EventKind, type RecordEvent } from '../../core/events.js';
import { sentence } from '../../core/refusal.js';
import type { Principal } from '../../core/principal.js';
import { rightsOf } from '../../core/rights.js';
import type Database from 'better-sqlite3';
import type { Db } from '../../store/sqlite/db.js';
import { silentLogger, type Logger } from '../log.js';
import { feedEvent, newId, type EventFeed } from './feed.js';
import { firstFault } from '../../core/checkBody.js';
import { validateWebhookBody, webhookBodySchema } from '../bodies/webhookBody.js';

/** How deliveries run. */
export interface DeliveryOptions {
  /** `host[:port]` entries hooks may point at (lower case; a bare host means the scheme's default port). */
  allow: readonly string[];
  /** One delivery attempt past this is abandoned (ms). */
  timeoutMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** The wait after the first failure, doubled after each next one (ms) ... */
  firstRetryMs: number;
  /** ... up to this (ms). */
  maxRetryMs: number;
  /** A delivery still failing this long after its event is given up (ms). */
  retryForMs: number;
}

/** The embedded defaults: nothing allowed, 10 s per attempt, 4 at once, 5 s doubling to 1 h, for a day. */
export const deliveryDefaults: DeliveryOptions = {
  allow: [],
  timeoutMs: 10_000,
  concurrency: 4,
  firstRetryMs: 5_000,
  maxRetryMs: 3_600_000,
  retryForMs: 86_400_000,
};

/** A registered hook, as shown (never its secret). */
export interface HookInfo {
  id: string;
  owner: string;
  url: string;
  records: 'all' | string[];
  kinds?: EventKind[];
  created_at: string;
}

interface HookRow {
  id: string;
  owner: string;
  url: string;
  secret: string;
  records: string;
  kinds: string | null;
  created_at: string;
}

const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,252}))(?::(\d{1,5}))?$/;

/** Parse `--webhook-allow` / CCR_WEBHOOK_ALLOW: `HOST[:PORT],…`; throws with what was expected. */
export function parseAllowList(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .map((entry) => {
      const m = HOST_PORT.exec(entry);
      if (!m || (m[1] !== undefined && !(Number(m[1]) >= 1 && Number(m[1]) <= 65535))) {
        throw new Error(`expected HOST or HOST:PORT in the webhook allow-list, found ${JSON.stringify(entry)}`);
      }
      return entry;
    });
}

/** The URL of a hook when the allow-list lets it be used; else why not. */
export function checkHookUrl(text: unknown, allow: readonly string[]): URL {
  if (typeof text !== 'string' || text.length > 2048) throw new InvalidInput('expected url to be an http(s) URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInput('expected url to be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidInput('expected url to be an http(s) URL');
  if (url.username || url.password)
    throw new InvalidInput('expected url without credentials (the secret signs each delivery)');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const host = url.hostname.toLowerCase();
  const allowed = allow.some((a) => a === `${host}:${port}` || (a === host && url.port === ''));
  if (!allowed) {
    throw new Forbidden(
      `webhooks may only go to hosts the operator allows (ccr serve --webhook-allow); ${host}:${port} is not one of them`,
    );
  }
  return url;
}

/** The signature header value of a body. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The hooks of a server and their deliveries. */
export class Webhooks {
  #hooks: HookRow[] | null = null;
  /** What each hook wants, parsed once per change of the hooks. */
  #wants: Array<{ id: string; records: Set<string> | null; kinds: Set<string> | null }> | null = null;
  #addDelivery: Database.Statement<[string, string, number, number, number]> | null = null;
  /** Attempts in flight by hook: one per hook at a time, so a hanging receiver holds only its own. */
  readonly #inflight = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = true;
  readonly #aborts = new Set<AbortController>();

  /**
   * @param ownerMay whether a hook's owner may still read events: the principal that registered it
   *   (named `owner`, there since before `since`, the hook's creation) still there and of a kind that may
   */
  constructor(
    readonly db: Db,
    readonly feed: EventFeed,
    readonly options: DeliveryOptions,
    private readonly ownerMay: (owner: string, since: string) => Promise<boolean>,
    private readonly log: Logger = silentLogger,
  ) {
    feed.subscribe(
      (e, seq, now) => this.#fanout(e, seq, now),
      () => this.kick(),
    );
  }

  #all(): HookRow[] {
    return (this.#hooks ??= this.db.prepare('SELECT * FROM hooks ORDER BY created_at, id').all() as HookRow[]);
  }

  /** Inside the feed's transaction: a pending delivery for each hook that wants the event. */
  #fanout(e: RecordEvent, seq: number, now: number): void {
    this.#wants ??= this.#all().map((h) => {
      const records = JSON.parse(h.records) as 'all' | string[];
      return {
        id: h.id,
        records: records === 'all' ? null : new Set(records),
        kinds: h.kinds === null ? null : new Set(JSON.parse(h.kinds) as string[]),
      };
    });
    for (const h of this.#wants) {
      if ((h.records && !h.records.has(e.record)) || (h.kinds && !h.kinds.has(e.kind))) continue;
      this.#addDelivery ??= this.db.prepare(
        "INSERT INTO deliveries (id, hook, seq, state, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
      );
      this.#addDelivery.run(newId('dlv'), h.id, seq, now, now);
    }
  }

  /** POST /api/webhooks */
  register(p: Principal, body: unknown): HookInfo {
    if (!rightsOf(p).manageWebhooks) throw new Forbidden(`${p.kind} principals may not register webhooks`);
    if (!validateWebhookBody(body)) {
      const first = firstFault(webhookBodySchema, validateWebhookBody.errors);
      // The allow-list check runs where it always did: after the url's shape, before the other fields.
      if (first.rank > 1 && body && typeof body === 'object' && 'url' in body)
        checkHookUrl(body.url, this.options.allow);
      throw new InvalidInput(sentence(first));
    }
    // A JSON array passes the schema (it has no fields) and is refused for its url, as always.
    const url = checkHookUrl(Array.isArray(body) ? undefined : body.url, this.options.allow);
    if (Array.isArray(body)) throw new InvalidInput('expected a JSON object');
    const { secret, records, kinds } = body;
    const owned = (this.db.prepare('SELECT count(*) AS n FROM hooks WHERE owner = ?').get(p.name) as { n: number }).n;
    if (owned >= 100) throw new Forbidden('a principal may register at most 100 webhooks');
    const row: HookRow = {
      id: newId('hook'),
      owner: p.name,
      url: url.toString(),
      secret,
      records: JSON.stringify(records === 'all' ? 'all' : [...new Set(records)]),
      kinds: kinds === undefined ? null : JSON.stringify([...new Set(kinds)]),
      created_at: new Date().toISOString(),
    };
    this.db
      .prepare(
        'INSERT INTO hooks (id, owner, url, secret, records, kinds, created_at) VALUES (@id, @owner, @url, @secret, @records, @kinds, @created_at)',
      )
      .run(row);
    this.#hooks = null;
    this.#wants = null;
    this.log('info', 'webhook-registered', { hook: row.id, owner: p.name, host: url.host });
    return info(row);
  }

  /** A hook the principal may manage (its own; an admin's, any), else 404. */
  #mine(p: Principal, id: string): HookRow {
    if (!rightsOf(p).manageWebhooks) throw new Forbidden(`${p.kind} principals may not manage webhooks`);
    const row = this.db.prepare('SELECT * FROM hooks WHERE id = ?').get(id) as HookRow | undefined;
    if (!row || (!rightsOf(p).managePrincipals && row.owner !== p.name)) throw new NotFound(`no webhook ${id}`);
    return row;
  }

  /** GET /api/webhooks: an admin sees every hook, an integration its own. */
  list(p: Principal): { webhooks: HookInfo[] } {
    if (!rightsOf(p).manageWebhooks) throw new Forbidden(`${p.kind} principals may not manage webhooks`);
    return {
      webhooks: this.#all()
        .filter((h) => rightsOf(p).managePrincipals || h.owner === p.name)
        .map(info),
    };
  }

  /** DELETE /api/webhooks/<id>: its pending deliveries go with it. */
  remove(p: Principal, id: string): void {
    this.#mine(p, id);
    this.db.prepare('DELETE FROM hooks WHERE id = ?').run(id);
    this.#hooks = null;
    this.#wants = null;
    this.log('info', 'webhook-removed', { hook: id, by: p.name });
  }

  /** GET /api/webhooks/<id>/deliveries: the latest deliveries first. */
  deliveries(p: Principal, id: string, limit = 100): { deliveries: unknown[] } {
    this.#mine(p, id);
    const rows = this.db
      .prepare(
        `SELECT d.*, e.kind, e.record FROM deliveries d JOIN events e ON e.seq = d.seq
      WHERE d.hook = ? ORDER BY d.created_at DESC, d.seq DESC LIMIT ?`,
      )
      .all(id, limit) as Array<Record<string, unknown>>;
    const iso = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : undefined);
    return {
      deliveries: rows.map((r) => ({
        id: r['id'],
        cursor: String(r['seq']),
        kind: r['kind'],
        record: r['record'],
        state: r['state'],
        attempts: r['attempts'],
        created_at: iso(r['created_at']),
        ...(r['state'] === 'pending' ? { next_attempt_at: iso(r['next_at']) } : {}),
        ...(r['last_status'] !== null ? { last_status: r['last_status'] } : {}),
        ...(r['last_error'] !== null ? { last_error: r['last_error'] } : {}),
        ...(r['delivered_at'] !== null ? { delivered_at: iso(r['delivered_at']) } : {}),
      })),
    };
  }

  /** Start delivering (what is pending from before a restart first). */
  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Stop: no new attempts; attempts in flight are abandoned (retried after the next start) and awaited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const a of this.#aborts) a.abort();
    await Promise.all([...this.#inflight.values()]);
  }

  /**
   * Start what is due: each hook's first pending delivery (earliest due, then feed order), one per
   * hook at a time and at most `concurrency` in all; then wake for the next one due. A finished
   * attempt looks again.
   */
  kick(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const heads = this.db
      .prepare(
        `SELECT d.id, d.hook, d.seq, d.attempts, d.created_at, d.next_at FROM hooks h
      JOIN deliveries d ON d.rowid = (SELECT x.rowid FROM deliveries x WHERE x.hook = h.id AND x.state = 'pending'
        ORDER BY x.next_at, x.seq LIMIT 1)`,
      )
      .all() as Array<{ id: string; hook: string; seq: number; attempts: number; created_at: number; next_at: number }>;
    let wake: number | null = null;
    for (const d of heads) {
      if (this.#inflight.has(d.hook)) continue;
      if (d.next_at > now) {
        wake = Math.min(wake ?? d.next_at, d.next_at);
        continue;
      }
      if (this.#inflight.size >= this.options.concurrency) continue;
      const attempt = this.#attempt(d)
        .catch((e: unknown) => this.log('error', 'webhook-delivery-crashed', { delivery: d.id, error: e }))
        .finally(() => {
          this.#inflight.delete(d.hook);
          this.kick();
        });
      this.#inflight.set(d.hook, attempt);
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (wake !== null) {
      this.#timer = setTimeout(() => this.kick(), Math.max(wake - now, 10));
      this.#timer.unref();
    }
  }

  async #attempt(d: { id: string; hook: string; seq: number; attempts: number; created_at: number }): Promise<void> {
    const hook = this.db.prepare('SELECT * FROM hooks WHERE id = ?').get(d.hook) as HookRow | undefined;
    const event = this.feed.event(d.seq);
    if (!hook || !event) return; // removed meanwhile (its deliveries went with it)
    // The operator may have narrowed the allow-list since the hook was registered: it holds at every attempt.
    const allowed = (() => {
      try {
        checkHookUrl(hook.url, this.options.allow);
        return true;
      } catch {
        return false;
      }
    })();
    const cancelled = !allowed
      ? "the hook's host is no longer on the allow-list"
      : !(await this.ownerMay(hook.owner, hook.created_at))
        ? "the hook's owner may no longer read events"
        : null;
    if (cancelled) {
      this.db.prepare("UPDATE deliveries SET state = 'cancelled', last_error = ? WHERE id = ?").run(cancelled, d.id);
      this.log('warn', 'webhook-cancelled', { hook: hook.id, delivery: d.id, reason: cancelled });
      return;
    }
    if (this.#stopped) return;
    const body = JSON.stringify(feedEvent(event));
    const started = Date.now();
    const outcome = await this.#post(new URL(hook.url), body, {
      'Content-Type': 'application/json',
      'User-Agent': 'CCR-Webhook',
      'X-CCR-Delivery': d.id,
      'X-CCR-Event': event.kind,
      'X-CCR-Signature': signature(hook.secret, body),
    });
    if (this.#stopped && outcome.error === 'aborted') return;
    const attempts = d.attempts + 1;
    const now = Date.now();
    if (outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300) {
      this.db
        .prepare(
          "UPDATE deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ?",
        )
        .run(attempts, outcome.status, now, d.id);
      this.log('info', 'webhook-delivered', {
        hook: hook.id,
        delivery: d.id,
        cursor: d.seq,
        attempts,
        ms: now - started,
      });
      return;
    }
    const error = outcome.error ?? `answered ${outcome.status}`;
    const wait = Math.min(this.options.firstRetryMs * 2 ** (attempts - 1), this.options.maxRetryMs);
    const giveUp = now + wait - d.created_at > this.options.retryForMs;
    this.db
      .prepare(
        'UPDATE deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_at = ? WHERE id = ?',
      )
      .run(giveUp ? 'failed' : 'pending', attempts, outcome.status ?? null, error, now + wait, d.id);
    this.log(giveUp ? 'warn' : 'info', giveUp ? 'webhook-gave-up' : 'webhook-retry', {
      hook: hook.id,
      delivery: d.id,
      attempts,
      error,
    });
  }

  /** One POST: its status, or what went wrong; never follows a redirect; abandoned past the timeout. */
  #post(url: URL, body: string, headers: Record<string, string>): Promise<{ status?: number; error?: string }> {
    return new Promise((resolve) => {
      const abort = new AbortController();
      this.#aborts.add(abort);
      let done = false;
      const finish = (r: { status?: number; error?: string }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#aborts.delete(abort);
        resolve(r);
      };
      const timer = setTimeout(() => {
        finish({ error: `no answer within ${this.options.timeoutMs} ms` });
        abort.abort();
      }, this.options.timeoutMs);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
          signal: abort.signal,
          agent: false,
        },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > 64 * 1024) res.destroy();
          });
          res.on('end', () =>
            finish(
              status >= 300 && status < 400
                ? { status, error: `answered ${status} (redirects are not followed)` }
                : { status },
            ),
          );
          res.on('error', () => finish({ status }));
          res.on('close', () => finish({ status }));
        },
      );
      req.on('error', (e) => finish({ error: abort.signal.aborted ? 'aborted' : e.message }));
      req.end(body);
    });
  }
}

function info(h: HookRow): HookInfo {
  return {
    id: h.id,
    owner: h.owner,
    url: h.url,
    records: JSON.parse(h.records) as 'all' | string[],
    ...(h.kinds !== null ? { kinds: JSON.parse(h.kinds) as EventKind[] } : {}),
    created_at: h.created_at,
  };
}
