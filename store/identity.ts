// What the server keeps about who may sign in: principals, their tokens and their SSH signing
// keys, the audit trail of every change to them, and the reverse index participant → records.
// An interface, async throughout, so that an embedded database (store/sqlite/) and a networked
// one shared by several CCR nodes (docs/scale-out.md) can both implement it. Secrets never pass
// through it: tokens arrive as keyed hashes (server/tokenHash.ts), keys as public keys.

import type { ParticipantBinding, PrincipalKind } from '../core/principal.js';
import type { Role } from '../core/vocabulary.js';

/** A principal as stored: participants carry the identity their participant id is bound to. */
export type StoredPrincipal =
  | { name: string; kind: Exclude<PrincipalKind, 'participant'>; created_at: string }
  | { name: string; kind: 'participant'; participant_id: string; role: Role; display_name: string; created_at: string };

/** A principal to create (validated before it reaches a store). */
export type NewPrincipal =
  | { name: string; kind: Exclude<PrincipalKind, 'participant'> }
  | { name: string; kind: 'participant'; participant_id: string; role: Role; display_name: string };

/** A token as listed: never its secret nor its hash. Times are ISO 8601 UTC. */
export interface TokenInfo {
  id: string;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  /** Migrated from principals.json with a scrypt hash, not used since (rehashed on first use). */
  legacy: boolean;
}

/** A token to store: its keyed hash, an optional label and expiry (epoch ms). */
export interface NewToken {
  hash: string;
  label?: string;
  expiresAt?: number;
}

/** What a token look-up finds: the token and its principal. */
export interface TokenMatch {
  token: TokenInfo;
  /** Expiry in epoch ms, or null. */
  expiresAtMs: number | null;
  principal: StoredPrincipal;
}

/** A token from before keyed hashes: its scrypt salt and hash (base64), until its first use. */
export interface LegacyToken {
  id: string;
  salt: string;
  hash: string;
  expiresAtMs: number | null;
}

/** An SSH signing key (issue 14) as stored. Windows and revocation in epoch seconds. */
export interface SigningKey {
  id: string;
  /** The principal it belongs to (kept when the principal is removed: its keys stay known, revoked). */
  principal: string;
  /** `<type> <base64>`, canonical (core/ssh/keys.ts formatPublicKey). */
  public_key: string;
  /** `SHA256:…` as `ssh-keygen -lf` prints it; unique across principals. */
  fingerprint: string;
  comment: string | null;
  valid_after: number | null;
  valid_before: number | null;
  created_at: string;
  revoked_at: number | null;
}

/** A signing key to store (parsed and checked by core/ssh before it reaches a store). */
export interface NewSigningKey {
  public_key: string;
  fingerprint: string;
  comment?: string;
  valid_after?: number;
  valid_before?: number;
}

/** The changes an audit entry can record. */
export const auditActions = [
  'principal-created',
  'principal-removed',
  'principals-imported',
  'principals-migrated',
  'token-created',
  'token-revoked',
  'token-rehashed',
  'key-added',
  'key-revoked',
] as const;
/** One of the audited changes. */
export type AuditAction = (typeof auditActions)[number];

/**
 * One change to principals, tokens or keys, written in the same transaction as the change (so no
 * change exists without its entry) and forwarded to the access log (`"event": "identity"`).
 */
export interface AuditEntry {
  /** Position in the store's audit trail, increasing; the access log forwarder resumes after it. */
  seq: number;
  time: string;
  /** Who made the change: a principal name, `cli:<os user>`, `oidc:<issuer>` or `server`. */
  actor: string;
  action: AuditAction;
  /** The principal changed. */
  principal: string;
  /** Token or key id, label, expiry, fingerprint, count: never a secret or a hash. */
  detail: Record<string, string | number | null>;
}

/** Who asks for a change, for the audit entry. */
export interface Actor {
  actor: string;
}

/** A page of names or ids: `next` is the `after` of the following page, when there is one. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Principals, tokens, keys and their audit trail. Every change is one transaction with its audit entry. */
export interface IdentityStore {
  /** A principal by name, or null. */
  principal(name: string): Promise<StoredPrincipal | null>;
  /** Principals in name order after `after`, at most `limit`. */
  principals(after: string | undefined, limit: number): Promise<Page<StoredPrincipal>>;
  /** How many principals there are of a kind (start-up asks for admins). */
  count(kind: PrincipalKind): Promise<number>;
  /**
   * The sequence number of the last change to principals, tokens or keys (its audit entry): it
   * grows with every change, whichever process made it. A push judged ahead is judged again when
   * it moved in between (server/prejudge.ts).
   */
  lastChange(): number;
  /**
   * Create a principal, with its first token unless `token` is null (a principal made at a single
   * sign-on signs in with the issuer's tokens); Conflict for a name or token hash already taken.
   * An `implicit` creation (at a sign-on) is Forbidden for a participant name or id an admin removed;
   * an explicit one lifts that.
   */
  createPrincipal(
    p: NewPrincipal,
    token: NewToken | null,
    by: Actor,
    implicit?: boolean,
  ): Promise<{ tokenId: string | null }>;
  /**
   * Delete a principal and its tokens (its keys stay, revoked; a participant's name and id are
   * remembered against implicit re-creation); NotFound, or Conflict for the last admin.
   */
  removePrincipal(name: string, by: Actor): Promise<void>;
  /** The principals bound to a participant id (core/principal.ts BindingLookup, asked per id). */
  bindings(participantId: string): Promise<ParticipantBinding[]>;

  /** Add a token to a principal; NotFound, or Conflict for a hash already taken. */
  addToken(name: string, token: NewToken, by: Actor): Promise<TokenInfo>;
  /** A principal's tokens (no secrets), oldest first; NotFound for an unknown principal. */
  tokens(name: string): Promise<TokenInfo[]>;
  /** Revoke (delete) a token of a principal; it stops working at once. NotFound when not theirs. */
  revokeToken(name: string, id: string, by: Actor): Promise<void>;
  /** The token with this keyed hash and its principal, or null; expiry is the caller's to judge. */
  findToken(hash: string): Promise<TokenMatch | null>;
  /** A principal's tokens still held as scrypt hashes. */
  legacyTokens(name: string): Promise<LegacyToken[]>;
  /** Replace a legacy token's scrypt hash by its keyed hash (after a successful check). */
  rehashToken(id: string, hash: string): Promise<void>;
  /** Whether any token is held as a keyed hash (then the key file must exist: start-up checks it). */
  hasKeyedTokens(): Promise<boolean>;
  /** Note that a token was used at `at` (epoch ms); written later, in batches. */
  recordUse(id: string, at: number): void;

  /** Register a signing key; NotFound, or Conflict for a key registered already (to anyone). */
  addKey(name: string, key: NewSigningKey, by: Actor): Promise<SigningKey>;
  /** A principal's keys, revoked ones included; or every key when `name` is undefined. */
  keys(name?: string): Promise<SigningKey[]>;
  /** The key with a fingerprint, revoked or not, or null. */
  keyByFingerprint(fingerprint: string): Promise<SigningKey | null>;
  /** Revoke a principal's key at `at` (epoch seconds); NotFound when not theirs, Conflict when revoked already. */
  revokeKey(name: string, id: string, at: number, by: Actor): Promise<SigningKey>;

  /** Audit entries after `seq`, at most `limit`, in order. */
  audit(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The last audit entry written to the access log (0 for none). */
  auditForwarded(): Promise<number>;
  /** Remember that the access log holds every audit entry up to `seq`. */
  markAuditForwarded(seq: number): Promise<void>;
  /** Write pending uses, then close. */
  close(): Promise<void>;
}

/** The reverse index participant id → records in which it takes part in some thread on `main`. */
export interface RecordIndex {
  /**
   * A record's `main` moved to `head` (a push, an API or server-side write, a sync round, a
   * creation) and its ledgers now list these participant ids: one transaction.
   */
  recordMoved(record: string, head: string, participantIds: Iterable<string>): Promise<void>;
  /** The head each indexed record was indexed at, or null for a record not indexed. */
  indexedHead(record: string): Promise<string | null>;
  /** Record ids of a participant, in order, after `after`, at most `limit`. */
  recordsOf(participantId: string, after: string | undefined, limit: number): Promise<Page<string>>;
  /** Forget a record (it no longer exists here). */
  forget(record: string): Promise<void>;
  /** Indexed records and the heads they were indexed at, in record order, after `after`. */
  indexed(after: string | undefined, limit: number): Promise<Array<{ record: string; head: string }>>;
  /** Whether a full rebuild has completed since the index was made (a lost index is empty, not complete). */
  complete(): Promise<boolean>;
  /** Note that a full rebuild has completed. */
  markComplete(): Promise<void>;
}
