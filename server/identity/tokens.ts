// Checking a principal's token against the identity store: one keyed hash (server/tokenHash.ts)
// and one indexed look-up, the same cost for a known name, an unknown one or a wrong token, with
// ten principals or a million. An expired or revoked token is refused by the look-up itself, so
// it stops working at once; nothing is cached that a change would have to clear. Tokens migrated
// with a scrypt hash are checked with scrypt (one at a time, bounded wait) and rehashed on their
// first success, as server/principals.ts did with principals.json.

import { scrypt, timingSafeEqual } from 'node:crypto';
import { parseParticipantId } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import type { IdentityStore, StoredPrincipal } from '../../store/identity.js';
import { silentLogger, type Logger } from '../log.js';
import { Gate } from '../../store/principals.js';
import { TokenHasher } from '../../store/tokenHash.js';
import type { SignedIn } from './credentials.js';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
/** A token scrypt refused is refused again without scrypt for this long. */
const FORGET_REFUSED_MS = 60 * 1000;
const REMEMBER_REFUSED = 10_000;

/** The principal the rules and the API see, from a stored one. */
export function toPrincipal(p: StoredPrincipal): Principal {
  if (p.kind !== 'participant') return { kind: p.kind, name: p.name };
  // Every way in checks the id (server/principals.ts, the migration's schema, OIDC claims), so a
  // row that does not parse is a corrupt store, refused as the store refuses a row missing a field.
  const participantId = parseParticipantId(p.participant_id);
  if (participantId === null) {
    throw new Error(`principal ${p.name}: a participant row whose participant id ${p.participant_id} is not a UUID`);
  }
  return { kind: 'participant', name: p.name, participantId, role: p.role, displayName: p.display_name };
}

/** Checks name and token pairs (HTTP Basic) against the identity store. */
export class TokenAuthenticator {
  readonly #refused = new Map<string, number>();
  readonly #checking = new Map<string, Promise<Principal | null>>();
  readonly #gate = new Gate(1, 16);

  constructor(
    private readonly store: IdentityStore,
    private readonly hasher: TokenHasher,
    private readonly log: Logger = silentLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The principal a name and token stand for, or null: unknown, wrong, expired or revoked alike. */
  async verify(name: string, token: string): Promise<Principal | null> {
    return (await this.signIn(name, token))?.principal ?? null;
  }

  /** Like verify, with the expiry of the token that signed in. */
  async signIn(name: string, token: string): Promise<SignedIn | null> {
    const keyed = this.hasher.hash(token);
    const now = this.clock();
    const match = await this.store.findToken(keyed);
    if (match) {
      if (match.principal.name !== name) return null;
      if (match.expiresAtMs !== null && match.expiresAtMs <= now) return null;
      this.store.recordUse(match.token.id, now);
      const principal = toPrincipal(match.principal);
      return { principal, via: 'token', token: match.token.id, expiresAtMs: match.expiresAtMs };
    }
    const legacy = await this.store.legacyTokens(name);
    for (const old of legacy) {
      if (old.expiresAtMs !== null && old.expiresAtMs <= now) continue;
      const p = await this.#scrypt(name, old, token, keyed);
      if (p) return { principal: p, via: 'token', token: old.id, expiresAtMs: old.expiresAtMs };
    }
    return null;
  }

  /** A migrated scrypt token: checked one at a time, remembered when refused, rehashed on success. */
  #scrypt(
    name: string,
    old: { id: string; salt: string; hash: string },
    token: string,
    keyed: string,
  ): Promise<Principal | null> {
    const key = `${old.id}\0${keyed}`;
    const refusedUntil = this.#refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > Date.now()) return Promise.resolve(null);
    let checking = this.#checking.get(key);
    if (!checking) {
      checking = (async () => {
        const actual = await this.#gate.run(
          () =>
            new Promise<Buffer>((resolve, reject) =>
              scrypt(token, Buffer.from(old.salt, 'base64'), 32, SCRYPT, (e, k) => (e ? reject(e) : resolve(k))),
            ),
        );
        const expected = Buffer.from(old.hash, 'base64');
        if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
          this.#refused.delete(key);
          this.#refused.set(key, Date.now() + FORGET_REFUSED_MS);
          if (this.#refused.size > REMEMBER_REFUSED) {
            const oldest = this.#refused.keys().next();
            if (!oldest.done) this.#refused.delete(oldest.value);
          }
          return null;
        }
        try {
          await this.store.rehashToken(old.id, keyed);
          this.log('info', 'principal-token-rehashed', { name, token: old.id });
        } catch (e) {
          // The sign-in stands (the token was verified); the scrypt hash stays until a later one.
          this.log('error', 'principal-token-rehash-failed', { name, token: old.id, error: e });
        }
        this.store.recordUse(old.id, this.clock());
        const p = await this.store.principal(name);
        return p ? toPrincipal(p) : null;
      })();
      const mine = checking;
      const done = () => {
        if (this.#checking.get(key) === mine) this.#checking.delete(key);
      };
      mine.then(done, done);
      this.#checking.set(key, mine);
    }
    return checking;
  }
}
