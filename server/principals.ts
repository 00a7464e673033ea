// Principals (SPEC 9) kept in <data>/principals.json. A token is stored as its keyed hash
// (server/tokenHash.ts) and a principal is looked up by it: a microsecond per request, the same
// for a known name, an unknown one or a wrong token, so a flood of bad credentials costs little
// and queues nothing. Principals written before keyed hashes hold a scrypt hash until their first
// successful use, which replaces it; those scrypt runs go one at a time (one core at most, with
// a bounded wait: past it the request is answered 503), so nothing queues without bound.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Conflict, InvalidInput, NotFound, Unavailable } from '../core/errors.js';
import { isUuid, type ParticipantId } from '../core/ids.js';
import { principalKinds, type ParticipantBinding, type Principal, type PrincipalKind } from '../core/principal.js';
import { isOneOf, roles, type Role } from '../core/vocabulary.js';
import { writeFileDurable } from '../git/fsutil.js';
import { withRecordLock } from '../git/lock.js';
import { silentLogger, type Logger } from './log.js';
import { TokenHasher } from './tokenHash.js';

/** A principal as stored: its public fields and the keyed hash of its token. */
export interface StoredPrincipal {
  name: string;
  kind: PrincipalKind;
  participant_id?: string;
  role?: Role;
  display_name?: string;
  /** The keyed hash of its token (`hmac-sha256:…`). */
  token_hash?: string;
  /** Written before keyed hashes: the scrypt salt and hash of the token, until its first use. */
  salt?: string;
  hash?: string;
  created_at: string;
}

/** What a caller gives to create a principal. */
export interface PrincipalInput {
  name: string;
  kind: PrincipalKind;
  participant_id?: string;
  role?: string;
  display_name?: string;
}

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A token scrypt refused is refused again without scrypt for this long. */
const FORGET_REFUSED_MS = 60 * 1000;
const REMEMBER_REFUSED = 10_000;

function scryptHash(token: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(token, salt, 32, SCRYPT, (e, key) => (e ? reject(e) : resolve(key))));
}

/** A new random token: `ccr_` and 43 characters of base64url (256 bits). */
export function newToken(): string {
  return `ccr_${randomBytes(32).toString('base64url')}`;
}

/** The public view of a stored principal (what the rules and the API see). */
export function toPrincipal(p: StoredPrincipal): Principal {
  if (p.kind === 'participant') {
    return { kind: 'participant', name: p.name, participantId: p.participant_id as ParticipantId, role: p.role!, displayName: p.display_name! };
  }
  return { kind: p.kind, name: p.name };
}

/** Bounded concurrency with a bounded wait: past `maxWaiting` a run is refused (Unavailable). */
export class Gate {
  #free: number;
  #waiting: Array<() => void> = [];
  constructor(slots: number, readonly maxWaiting: number) {
    this.#free = slots;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else if (this.#waiting.length >= this.maxWaiting) throw new Unavailable('too many sign-ins are being checked; try again in a moment');
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** The principals of a server, backed by a JSON file that other processes (`ccr principal`) may change. */
export class PrincipalStore {
  #principals = new Map<string, StoredPrincipal>();
  #byHash = new Map<string, StoredPrincipal>();
  #stamp = '';
  #bindings: Map<string, ParticipantBinding[]> | null = null;
  #hasher: TokenHasher | undefined;
  /** Tokens scrypt refused, by name and keyed hash, until when; the oldest forgotten first. */
  readonly #refused = new Map<string, number>();
  readonly #checking = new Map<string, Promise<Principal | null>>();
  readonly #gate = new Gate(1, 16);
  /** The key of the keyed hashes, beside the file. */
  readonly keyPath: string;

  constructor(readonly path: string, private readonly log: Logger = silentLogger) {
    this.keyPath = `${path.slice(0, path.lastIndexOf('/')) || '.'}/token.key`;
  }

  /** The hasher; its key file is made on first need, unless tokens were hashed with one that is now missing. */
  async #key(): Promise<TokenHasher> {
    this.#hasher ??= await TokenHasher.open(this.keyPath, true);
    return this.#hasher;
  }

  /** Reload the file when it changed on disk (checked by its stat on each call). */
  async refresh(): Promise<void> {
    let stamp = 'missing';
    try {
      const st = await fs.stat(this.path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch { /* no principals yet */ }
    if (stamp === this.#stamp) return;
    const list: StoredPrincipal[] = stamp === 'missing' ? [] : (JSON.parse(await fs.readFile(this.path, 'utf8')) as { principals: StoredPrincipal[] }).principals;
    if (!this.#hasher && list.some((p) => p.token_hash)) {
      // Made here, the key would be a new one under which no stored hash matches: say what is wrong.
      this.#hasher = await TokenHasher.open(this.keyPath, false).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT'
          ? new Error(`${this.keyPath} is missing: the token hashes in ${this.path} cannot be checked without it; `
            + 'restore it from a backup (or remove the principals and create them again)')
          : e;
      });
    }
    this.#principals = new Map(list.map((p) => [p.name, p]));
    this.#bindings = null;
    this.#byHash = new Map(list.filter((p) => p.token_hash).map((p) => [p.token_hash!, p]));
    this.#stamp = stamp;
  }

  /** Every principal, without secrets. */
  async list(): Promise<Array<Omit<StoredPrincipal, 'salt' | 'hash' | 'token_hash'>>> {
    await this.refresh();
    return [...this.#principals.values()].map(({ salt: _s, hash: _h, token_hash: _t, ...rest }) => rest);
  }

  /**
   * Participant ids bound to participant principals, with the role and display name each binds
   * them to (as last read; `refresh` runs on every request). A plain Map, so it can be posted to
   * the validator threads.
   */
  bindings(): Map<string, ParticipantBinding[]> {
    if (this.#bindings) return this.#bindings;
    const out = new Map<string, ParticipantBinding[]>();
    for (const p of this.#principals.values()) {
      if (p.kind !== 'participant' || !p.participant_id || !p.role || p.display_name === undefined) continue;
      out.set(p.participant_id, [...(out.get(p.participant_id) ?? []), { name: p.name, role: p.role, displayName: p.display_name }]);
    }
    return (this.#bindings = out);
  }

  /** The principal a name and token stand for, or null. A known and an unknown name cost the same. */
  async verify(name: string, token: string): Promise<Principal | null> {
    await this.refresh();
    const keyed = (await this.#key()).hash(token);
    const found = this.#byHash.get(keyed);
    if (found) return found.name === name ? toPrincipal(found) : null;
    const old = this.#principals.get(name);
    return old?.salt && old.hash && !old.token_hash ? this.#verifyScrypt(old, token, keyed) : null;
  }

  /** A principal from before keyed hashes: scrypt (gated), and on success its hash replaced. */
  #verifyScrypt(old: StoredPrincipal, token: string, keyed: string): Promise<Principal | null> {
    const key = `${old.name}\0${keyed}`;
    const refusedUntil = this.#refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > Date.now()) return Promise.resolve(null);
    let checking = this.#checking.get(key);
    if (!checking) {
      checking = (async () => {
        const actual = await this.#gate.run(() => scryptHash(token, Buffer.from(old.salt!, 'base64')));
        const expected = Buffer.from(old.hash!, 'base64');
        if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
          this.#refused.delete(key);
          this.#refused.set(key, Date.now() + FORGET_REFUSED_MS);
          if (this.#refused.size > REMEMBER_REFUSED) this.#refused.delete(this.#refused.keys().next().value as string);
          return null;
        }
        await this.#migrate(old, keyed);
        return toPrincipal(old);
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

  /** Replace a principal's scrypt hash by the keyed hash of the token just verified. */
  async #migrate(old: StoredPrincipal, keyed: string): Promise<void> {
    try {
      await this.#change((all) => all.map((x) => {
        if (x.name !== old.name || x.salt !== old.salt || x.token_hash) return x;
        const { salt: _s, hash: _h, ...rest } = x;
        return { ...rest, token_hash: keyed };
      }));
      this.log('info', 'principal-token-rehashed', { name: old.name });
    } catch (e) {
      // The sign-in stands (the token was verified); the scrypt hash stays until a later one.
      this.log('error', 'principal-token-rehash-failed', { name: old.name, error: e });
    }
  }

  /** Validate input for a new principal. */
  static check(input: PrincipalInput): PrincipalInput {
    if (!input || typeof input.name !== 'string' || !NAME.test(input.name)) throw new InvalidInput('expected a name of letters, digits, `.`, `_` or `-` (at most 64, no `:`)');
    if (!isOneOf(principalKinds, input.kind)) throw new InvalidInput(`expected kind to be one of ${principalKinds.join(', ')}`);
    if (input.kind === 'participant') {
      if (!isUuid(input.participant_id)) throw new InvalidInput('expected participant_id in canonical UUID form for a participant principal');
      if (!isOneOf(roles, input.role)) throw new InvalidInput(`expected role to be one of ${roles.join(', ')}`);
      if (typeof input.display_name !== 'string' || input.display_name.trim() === '' || input.display_name.length > 200 || /[`\n\r]/.test(input.display_name)) {
        throw new InvalidInput('expected a display_name of 1–200 characters on one line');
      }
    } else if (input.participant_id !== undefined || input.role !== undefined || input.display_name !== undefined) {
      throw new InvalidInput('participant_id, role and display_name belong to participant principals only');
    }
    return input;
  }

  /** Create a principal; gives its token, which is not kept anywhere. */
  async add(input: PrincipalInput, token = newToken()): Promise<{ name: string; kind: PrincipalKind; token: string }> {
    const p = PrincipalStore.check(input);
    const token_hash = (await this.#key()).hash(token);
    await this.#change((all) => {
      if (all.some((x) => x.name === p.name)) throw new Conflict(`a principal named ${p.name} exists`);
      if (all.some((x) => x.token_hash === token_hash)) throw new Conflict('that token belongs to another principal; choose another');
      const stored: StoredPrincipal = {
        name: p.name, kind: p.kind, token_hash, created_at: new Date().toISOString(),
        ...(p.kind === 'participant' ? { participant_id: p.participant_id!, role: p.role as Role, display_name: p.display_name! } : {}),
      };
      return [...all, stored];
    });
    return { name: p.name, kind: p.kind, token };
  }

  /** Delete a principal; its tokens stop working at once. */
  async remove(name: string): Promise<void> {
    await this.#change((all) => {
      if (!all.some((x) => x.name === name)) throw new NotFound(`no principal named ${name}`);
      return all.filter((x) => x.name !== name);
    });
  }

  async #change(fn: (all: StoredPrincipal[]) => StoredPrincipal[]): Promise<void> {
    const dir = this.path.slice(0, this.path.lastIndexOf('/')) || '.';
    await withRecordLock(dir, async () => {
      this.#stamp = '';
      await this.refresh();
      const next = fn([...this.#principals.values()]);
      await writeFileDurable(this.path, JSON.stringify({ version: 1, principals: next }, null, 2) + '\n', { mode: 0o600 });
      this.#stamp = '';
      await this.refresh();
    });
  }
}
