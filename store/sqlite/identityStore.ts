// The identity store on the embedded database (store/sqlite/db.ts). Each change is one
// transaction holding its audit entry. Look-ups are single indexed queries, so a token check
// costs the same with ten principals or a million, and nothing is cached in the process: a
// change made by `ccr principal` in another process is seen by the next request, and no change
// has a cache to clear. Last uses of tokens are the one thing written lazily, in batches.

import { randomBytes } from 'node:crypto';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../../core/errors.js';
import type { ParticipantBinding, PrincipalKind } from '../../core/principal.js';
import type { Role } from '../../core/vocabulary.js';
import type {
  Actor,
  AuditAction,
  AuditEntry,
  IdentityStore,
  LegacyToken,
  NewPrincipal,
  NewSigningKey,
  NewToken,
  Page,
  SigningKey,
  StoredPrincipal,
  TokenInfo,
  TokenMatch,
} from '../identity.js';
import type { Db } from './db.js';

interface PrincipalRow {
  id: number;
  name: string;
  kind: PrincipalKind;
  participant_id: string | null;
  role: string | null;
  display_name: string | null;
  created_at: string;
}
interface TokenRow {
  id: string;
  label: string | null;
  legacy_hash: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}
interface KeyRow {
  id: string;
  principal_name: string;
  public_key: string;
  fingerprint: string;
  comment: string | null;
  valid_after: number | null;
  valid_before: number | null;
  created_at: string;
  revoked_at: number | null;
}

/** A principal to import as it was (principals.json, bulk creation): its creation time and tokens kept. */
export interface ImportedPrincipal {
  principal: NewPrincipal;
  created_at: string;
  token?: NewToken | { legacySalt: string; legacyHash: string; label?: string };
}

/** How lazily last uses are written. */
export interface UseBatching {
  /** Write pending uses at least this often (ms). */
  flushMs: number;
  /** Write at once when this many tokens wait (bounds memory and loss). */
  maxPending: number;
}

/**
 * A stored hash as the key of the tokens table: the 32 bytes of a `hmac-sha256:` hash (shorter
 * keys, a wider tree), any other form as its UTF-8 bytes.
 */
const TOKEN_HASH_PREFIX = 'hmac-sha256:'; // server/tokenHash.ts writes it; the store does not import the server

function hashKey(hash: string): Buffer {
  if (hash.startsWith(TOKEN_HASH_PREFIX)) {
    const raw = Buffer.from(hash.slice(TOKEN_HASH_PREFIX.length), 'base64');
    if (raw.length === 32 && TOKEN_HASH_PREFIX + raw.toString('base64') === hash) return raw;
  }
  return Buffer.from(hash, 'utf8');
}

/** The page cache during a bulk import, in KiB as SQLite's negative cache_size: 512 MiB at most (used only as filled). */
const BULK_CACHE_KIB = -524288;
/** Pending last uses written per transaction when draining in the background. */
const USE_CHUNK = 500;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** A new id: a prefix and 72 random bits in base64url. */
export const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** A stored principal from its row: only a participant carries a participant id, role and name. */
function principalOf(r: PrincipalRow): StoredPrincipal {
  if (r.kind !== 'participant') return { name: r.name, kind: r.kind, created_at: r.created_at };
  // The table's CHECK keeps the three together (schema.ts): a participant row without them is damage.
  if (r.participant_id === null || r.role === null || r.display_name === null) {
    throw new Error(`principal ${r.name}: a participant row without its participant id, role or display name`);
  }
  return {
    name: r.name,
    kind: 'participant',
    participant_id: r.participant_id,
    role: r.role as Role,
    display_name: r.display_name,
    created_at: r.created_at,
  };
}
function tokenOf(r: TokenRow, pendingUse?: number): TokenInfo {
  const used = Math.max(r.last_used_at ?? 0, pendingUse ?? 0);
  return {
    id: r.id,
    label: r.label,
    created_at: iso(r.created_at)!,
    expires_at: iso(r.expires_at),
    last_used_at: used ? iso(used) : null,
    legacy: r.legacy_hash !== null,
  };
}
function keyOf(r: KeyRow): SigningKey {
  return {
    id: r.id,
    principal: r.principal_name,
    public_key: r.public_key,
    fingerprint: r.fingerprint,
    comment: r.comment,
    valid_after: r.valid_after,
    valid_before: r.valid_before,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}
const isUnique = (e: unknown) =>
  (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
  (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

/** The identity store of one database; see the IdentityStore interface for each operation. */
export class SqliteIdentityStore implements IdentityStore, Disposable {
  readonly #db: Db;
  readonly #pending = new Map<string, number>();
  readonly #batching: UseBatching;
  #timer: NodeJS.Timeout | undefined;
  #draining: NodeJS.Immediate | undefined;
  readonly #q;

  constructor(db: Db, batching: UseBatching = { flushMs: 30_000, maxPending: 10_000 }) {
    this.#db = db;
    this.#batching = batching;
    const p = (sql: string) => db.prepare(sql);
    this.#q = {
      principal: p('SELECT * FROM principals WHERE name = ?'),
      principals: p('SELECT * FROM principals WHERE name > ? ORDER BY name LIMIT ?'),
      count: p('SELECT count(*) AS n FROM principals WHERE kind = ?').pluck(),
      insertPrincipal: p(`INSERT INTO principals (name, kind, participant_id, role, display_name, created_at)
        VALUES (@name, @kind, @participant_id, @role, @display_name, @created_at)`),
      deletePrincipal: p('DELETE FROM principals WHERE id = ?'),
      remember: p('INSERT OR REPLACE INTO removed_participants (name, participant_id, removed_at) VALUES (?, ?, ?)'),
      removed: p('SELECT name FROM removed_participants WHERE name = ? OR participant_id = ? LIMIT 1').pluck(),
      forget: p('DELETE FROM removed_participants WHERE name = ? OR participant_id = ?'),
      bindings: p(`SELECT name, role, display_name FROM principals WHERE participant_id = ? AND kind = 'participant'
        ORDER BY name`),
      insertToken: p(`INSERT INTO tokens (hash, id, principal, label, legacy_salt, legacy_hash, created_at, expires_at)
        VALUES (@hash, @id, @principal, @label, @legacy_salt, @legacy_hash, @created_at, @expires_at)`),
      tokens: p('SELECT * FROM tokens WHERE principal = ? ORDER BY created_at, id'),
      deleteToken: p('DELETE FROM tokens WHERE id = ? AND principal = ?'),
      findToken:
        p(`SELECT t.id, t.label, t.legacy_hash, t.created_at, t.expires_at, t.last_used_at, p.id AS pid, p.name, p.kind,
        p.participant_id, p.role, p.display_name, p.created_at AS p_created_at
        FROM tokens t JOIN principals p ON p.id = t.principal WHERE t.hash = ?`),
      legacy:
        p(`SELECT t.id, t.legacy_salt, t.legacy_hash, t.expires_at FROM tokens t JOIN principals p ON p.id = t.principal
        WHERE p.name = ? AND t.legacy_hash IS NOT NULL`),
      rehash: p(
        'UPDATE tokens SET hash = ?, legacy_salt = NULL, legacy_hash = NULL WHERE id = ? AND legacy_hash IS NOT NULL',
      ),
      tokenOwner: p('SELECT p.name FROM tokens t JOIN principals p ON p.id = t.principal WHERE t.id = ?').pluck(),
      use: p('UPDATE tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?'),
      insertKey:
        p(`INSERT INTO signing_keys (id, principal_name, principal, public_key, fingerprint, comment, valid_after,
        valid_before, created_at) VALUES (@id, @principal_name, @principal, @public_key, @fingerprint, @comment, @valid_after,
        @valid_before, @created_at)`),
      keysOf: p('SELECT * FROM signing_keys WHERE principal_name = ? ORDER BY created_at, id'),
      allKeys: p('SELECT * FROM signing_keys ORDER BY principal_name, created_at, id'),
      keyById: p('SELECT * FROM signing_keys WHERE id = ?'),
      keyByFingerprint: p('SELECT * FROM signing_keys WHERE fingerprint = ?'),
      revokeKey: p('UPDATE signing_keys SET revoked_at = ? WHERE id = ?'),
      revokeKeysOf: p('UPDATE signing_keys SET revoked_at = ? WHERE principal = ? AND revoked_at IS NULL'),
      anyKeyed: p('SELECT 1 FROM tokens WHERE legacy_hash IS NULL LIMIT 1').pluck(),
      getMeta: p('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      audit: p('INSERT INTO audit (time, actor, action, principal, detail) VALUES (?, ?, ?, ?, ?)'),
      auditSince: p('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?'),
      lastChange: p('SELECT max(seq) FROM audit').pluck(),
    };
  }

  #row(name: string): PrincipalRow {
    const row = this.#q.principal.get(name) as PrincipalRow | undefined;
    if (!row) throw new NotFound(`no principal named ${name}`);
    return row;
  }

  #audit(by: Actor, action: AuditAction, principal: string, detail: AuditEntry['detail']): void {
    this.#q.audit.run(new Date().toISOString(), by.actor, action, principal, JSON.stringify(detail));
  }

  #insertPrincipal(p: NewPrincipal, createdAt: string): number {
    const participant = p.kind === 'participant' ? p : null;
    try {
      return Number(
        this.#q.insertPrincipal.run({
          name: p.name,
          kind: p.kind,
          participant_id: participant?.participant_id ?? null,
          role: participant?.role ?? null,
          display_name: participant?.display_name ?? null,
          created_at: createdAt,
        }).lastInsertRowid,
      );
    } catch (e) {
      if (isUnique(e)) throw new Conflict(`a principal named ${p.name} exists`);
      throw e;
    }
  }

  /** The last token creation time given out, so that tokens list in the order they were made. */
  #lastTokenMs = 0;

  /**
   * A token's creation time: the clock's, but after the previous token's (two tokens made in one
   * millisecond would otherwise list in the order of their random ids).
   */
  #tokenTime(now: number): number {
    this.#lastTokenMs = Math.max(now, this.#lastTokenMs + 1);
    return this.#lastTokenMs;
  }

  #insertToken(principal: number, t: ImportedPrincipal['token'] & object, now: number): string {
    const id = newId('tok');
    const legacy = 'legacySalt' in t ? t : null;
    try {
      this.#q.insertToken.run({
        hash: legacy ? Buffer.from(`legacy:${id}`) : hashKey((t as NewToken).hash),
        id,
        principal,
        label: t.label ?? null,
        legacy_salt: legacy?.legacySalt ?? null,
        legacy_hash: legacy?.legacyHash ?? null,
        created_at: now,
        expires_at: legacy ? null : ((t as NewToken).expiresAt ?? null),
      });
    } catch (e) {
      if (isUnique(e)) throw new Conflict('that token belongs to another principal; choose another');
      throw e;
    }
    return id;
  }

  async principal(name: string): Promise<StoredPrincipal | null> {
    const row = this.#q.principal.get(name) as PrincipalRow | undefined;
    return row ? principalOf(row) : null;
  }

  async principals(after: string | undefined, limit: number): Promise<Page<StoredPrincipal>> {
    const rows = this.#q.principals.all(after ?? '', limit + 1) as PrincipalRow[];
    const items = rows.slice(0, limit).map(principalOf);
    return rows.length > limit ? { items, next: items[items.length - 1]!.name } : { items };
  }

  async count(kind: PrincipalKind): Promise<number> {
    return this.#q.count.get(kind) as number;
  }

  lastChange(): number {
    return (this.#q.lastChange.get() as number | null) ?? 0;
  }

  async createPrincipal(
    p: NewPrincipal,
    token: NewToken | null,
    by: Actor,
    implicit = false,
  ): Promise<{ tokenId: string | null }> {
    // The allowed signers file names the site key `ccr-server`; a principal of that name could pass
    // its commits for the server's. Refused here, so no way of creating principals can skip it.
    if (p.name === 'ccr-server')
      throw new InvalidInput('expected another name: ccr-server names the site key in the allowed signers');
    return this.#db
      .transaction(() => {
        const now = Date.now();
        if (p.kind === 'participant') {
          if (implicit && this.#q.removed.get(p.name, p.participant_id) !== undefined) {
            throw new Forbidden(
              `participant ${p.name} (or ${p.participant_id}) was removed by an admin; ` +
                'only an admin creates it again',
            );
          }
          this.#q.forget.run(p.name, p.participant_id);
        }
        const id = this.#insertPrincipal(p, new Date(now).toISOString());
        this.#audit(by, 'principal-created', p.name, {
          kind: p.kind,
          participant_id: p.kind === 'participant' ? p.participant_id : null,
        });
        if (!token) return { tokenId: null };
        const tokenId = this.#insertToken(id, token, this.#tokenTime(now));
        this.#audit(by, 'token-created', p.name, {
          token: tokenId,
          label: token.label ?? null,
          expires_at: iso(token.expiresAt ?? null),
        });
        return { tokenId };
      })
      .immediate();
  }

  /**
   * Create many principals in one transaction, keeping their creation times and tokens (bulk
   * provisioning); one audit entry for the lot. A name taken already is a Conflict and creates none.
   */
  importPrincipals(list: Iterable<ImportedPrincipal>, by: Actor): number {
    return this.#import(list, by, 'principals-imported', false);
  }

  /** Like importPrincipals, but principals whose name exists are left as they are (the migration's re-runs). */
  importMissing(list: Iterable<ImportedPrincipal>, by: Actor): number {
    return this.#import(list, by, 'principals-migrated', true);
  }

  #import(list: Iterable<ImportedPrincipal>, by: Actor, action: AuditAction, skipExisting: boolean): number {
    // A bulk import inserts into several indexes at random places: with the usual page cache, pages
    // are evicted and read again many times over (a million principals took minutes). A cache
    // large enough for the whole tree for the length of the import, then the usual size again
    // (which frees the pages); what is written and when it is synced do not change.
    const usual = this.#db.pragma('cache_size', { simple: true }) as number;
    this.#db.pragma(`cache_size = ${BULK_CACHE_KIB}`);
    try {
      return this.#importNow(list, by, action, skipExisting);
    } finally {
      this.#db.pragma(`cache_size = ${usual}`);
    }
  }

  #importNow(list: Iterable<ImportedPrincipal>, by: Actor, action: AuditAction, skipExisting: boolean): number {
    return this.#db
      .transaction(() => {
        const now = Date.now();
        let n = 0;
        for (const entry of list) {
          if (skipExisting && this.#q.principal.get(entry.principal.name)) continue;
          const id = this.#insertPrincipal(entry.principal, entry.created_at);
          if (entry.token) this.#insertToken(id, entry.token, now);
          n++;
        }
        if (n > 0) this.#audit(by, action, '*', { count: n });
        return n;
      })
      .immediate();
  }

  async removePrincipal(name: string, by: Actor): Promise<void> {
    this.#db
      .transaction(() => {
        const row = this.#row(name);
        if (row.kind === 'admin' && (this.#q.count.get('admin') as number) === 1) {
          throw new Conflict('the last admin principal cannot be deleted');
        }
        const revoked = this.#q.revokeKeysOf.run(Math.floor(Date.now() / 1000), row.id).changes;
        this.#q.deletePrincipal.run(row.id);
        if (row.kind === 'participant') this.#q.remember.run(row.name, row.participant_id, new Date().toISOString());
        this.#audit(by, 'principal-removed', name, { kind: row.kind, keys_revoked: revoked });
      })
      .immediate();
  }

  async bindings(participantId: string): Promise<ParticipantBinding[]> {
    return this.bindingsNow(participantId);
  }

  /** The bindings of a participant id, synchronously (core's BindingLookup, in a validator thread). */
  bindingsNow(participantId: string): ParticipantBinding[] {
    return (this.#q.bindings.all(participantId) as Array<{ name: string; role: Role; display_name: string }>).map(
      (r) => ({ name: r.name, role: r.role, displayName: r.display_name }),
    );
  }

  async addToken(name: string, token: NewToken, by: Actor): Promise<TokenInfo> {
    return this.#db
      .transaction(() => {
        const now = this.#tokenTime(Date.now());
        const id = this.#insertToken(this.#row(name).id, token, now);
        this.#audit(by, 'token-created', name, {
          token: id,
          label: token.label ?? null,
          expires_at: iso(token.expiresAt ?? null),
        });
        return tokenOf({
          id,
          label: token.label ?? null,
          legacy_hash: null,
          created_at: now,
          expires_at: token.expiresAt ?? null,
          last_used_at: null,
        });
      })
      .immediate();
  }

  async tokens(name: string): Promise<TokenInfo[]> {
    return (this.#q.tokens.all(this.#row(name).id) as TokenRow[]).map((r) => tokenOf(r, this.#pending.get(r.id)));
  }

  async revokeToken(name: string, id: string, by: Actor): Promise<void> {
    this.#db
      .transaction(() => {
        const row = this.#row(name);
        if (this.#q.deleteToken.run(id, row.id).changes === 0) throw new NotFound(`${name} has no token ${id}`);
        this.#pending.delete(id);
        this.#audit(by, 'token-revoked', name, { token: id });
      })
      .immediate();
  }

  async findToken(hash: string): Promise<TokenMatch | null> {
    const r = this.#q.findToken.get(hashKey(hash)) as
      (TokenRow & PrincipalRow & { pid: number; p_created_at: string }) | undefined;
    if (!r) return null;
    return {
      token: tokenOf(r, this.#pending.get(r.id)),
      expiresAtMs: r.expires_at,
      principal: principalOf({ ...r, id: r.pid, created_at: r.p_created_at }),
    };
  }

  async legacyTokens(name: string): Promise<LegacyToken[]> {
    return (
      this.#q.legacy.all(name) as Array<{
        id: string;
        legacy_salt: string;
        legacy_hash: string;
        expires_at: number | null;
      }>
    ).map((r) => ({ id: r.id, salt: r.legacy_salt, hash: r.legacy_hash, expiresAtMs: r.expires_at }));
  }

  async rehashToken(id: string, hash: string): Promise<void> {
    this.#db
      .transaction(() => {
        if (this.#q.rehash.run(hashKey(hash), id).changes === 0) return; // rehashed meanwhile, or revoked
        this.#audit({ actor: 'server' }, 'token-rehashed', this.#q.tokenOwner.get(id) as string, { token: id });
      })
      .immediate();
  }

  async hasKeyedTokens(): Promise<boolean> {
    return this.#q.anyKeyed.get() !== undefined;
  }

  recordUse(id: string, at: number): void {
    this.#pending.set(id, Math.max(at, this.#pending.get(id) ?? 0));
    if (this.#pending.size >= this.#batching.maxPending) {
      // Not in the request that reached the bound: right after it, a chunk at a time.
      this.#draining ??= setImmediate(() => this.#drain());
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#drain(), this.#batching.flushMs);
      this.#timer.unref();
    }
  }

  /** Write pending uses a chunk per turn of the event loop, so that no request waits for a large batch. */
  #drain(): void {
    this.#draining = undefined;
    if (!this.#db.open) return;
    this.#write(USE_CHUNK);
    if (this.#pending.size > 0) this.#draining = setImmediate(() => this.#drain());
  }

  /** Write up to `max` pending uses in one transaction. */
  #write(max: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch: Array<[string, number]> = [];
    for (const entry of this.#pending) {
      if (batch.length === max) break;
      batch.push(entry);
    }
    for (const [id] of batch) this.#pending.delete(id);
    if (batch.length === 0) return;
    // Last uses are written lazily by design (kept in memory for up to flushMs, lost with the
    // process), so their batches are committed without an fsync of their own: under WAL,
    // synchronous=NORMAL keeps the database consistent, and the next principal, token or key
    // change (always FULL) makes them durable too. An fsync per chunk held the event loop, and
    // every request behind it, for a write that promises nothing more.
    this.#db.pragma('synchronous = NORMAL');
    try {
      this.#db
        .transaction(() => {
          for (const [id, at] of batch) this.#q.use.run(at, id);
        })
        .immediate();
    } finally {
      this.#db.pragma('synchronous = FULL');
    }
    if (this.#pending.size > 0 && !this.#draining) {
      this.#timer = setTimeout(() => this.#drain(), this.#batching.flushMs);
      this.#timer.unref();
    }
  }

  /** Write every pending last use now, in one transaction. */
  flushUses(): void {
    clearImmediate(this.#draining);
    this.#draining = undefined;
    this.#write(Infinity);
  }

  async addKey(name: string, key: NewSigningKey, by: Actor): Promise<SigningKey> {
    return this.#db
      .transaction(() => {
        const owner = this.#row(name);
        const row: KeyRow = {
          id: newId('key'),
          principal_name: name,
          public_key: key.public_key,
          fingerprint: key.fingerprint,
          comment: key.comment ?? null,
          valid_after: key.valid_after ?? null,
          valid_before: key.valid_before ?? null,
          created_at: new Date().toISOString(),
          revoked_at: null,
        };
        try {
          this.#q.insertKey.run({ ...row, principal: owner.id });
        } catch (e) {
          if (!isUnique(e)) throw e;
          const holder = (this.#q.keyByFingerprint.get(key.fingerprint) as KeyRow).principal_name;
          throw new Conflict(
            holder === name
              ? `${name} has registered key ${key.fingerprint} already`
              : `key ${key.fingerprint} is registered to another principal`,
          );
        }
        this.#audit(by, 'key-added', name, {
          key: row.id,
          fingerprint: row.fingerprint,
          valid_after: row.valid_after,
          valid_before: row.valid_before,
        });
        return keyOf(row);
      })
      .immediate();
  }

  async keys(name?: string): Promise<SigningKey[]> {
    return ((name === undefined ? this.#q.allKeys.all() : this.#q.keysOf.all(name)) as KeyRow[]).map(keyOf);
  }

  async keyByFingerprint(fingerprint: string): Promise<SigningKey | null> {
    return this.keyByFingerprintNow(fingerprint);
  }

  /** The key with a fingerprint, synchronously (the signature rule, in a validator thread). */
  keyByFingerprintNow(fingerprint: string): SigningKey | null {
    const row = this.#q.keyByFingerprint.get(fingerprint) as KeyRow | undefined;
    return row ? keyOf(row) : null;
  }

  async revokeKey(name: string, id: string, at: number, by: Actor): Promise<SigningKey> {
    return this.#db
      .transaction(() => {
        const row = this.#q.keyById.get(id) as KeyRow | undefined;
        if (!row || row.principal_name !== name) throw new NotFound(`${name} has no key ${id}`);
        if (row.revoked_at !== null)
          throw new Conflict(`key ${id} was revoked at ${new Date(row.revoked_at * 1000).toISOString()}`);
        this.#q.revokeKey.run(at, id);
        this.#audit(by, 'key-revoked', name, { key: id, fingerprint: row.fingerprint, revoked_at: at });
        return keyOf({ ...row, revoked_at: at });
      })
      .immediate();
  }

  async audit(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return (this.#q.auditSince.all(afterSeq, limit) as Array<Omit<AuditEntry, 'detail'> & { detail: string }>).map(
      (r) => ({ ...r, detail: JSON.parse(r.detail) as AuditEntry['detail'] }),
    );
  }

  async auditForwarded(): Promise<number> {
    return Number(this.meta('audit_forwarded') ?? 0);
  }

  async markAuditForwarded(seq: number): Promise<void> {
    this.setMeta('audit_forwarded', String(seq));
  }

  /** A value of the store's own bookkeeping (migration and index state), or null. */
  meta(key: string): string | null {
    return (this.#q.getMeta.get(key) as string | undefined) ?? null;
  }

  /** Set a value of the store's own bookkeeping. */
  setMeta(key: string, value: string): void {
    this.#q.setMeta.run(key, value);
  }

  async close(): Promise<void> {
    this[Symbol.dispose]();
  }

  /** Write pending uses and close the database. */
  [Symbol.dispose](): void {
    if (!this.#db.open) return;
    this.flushUses();
    this.#db.close();
  }
}
