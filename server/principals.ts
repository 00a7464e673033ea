// Principals (SPEC 9) kept in <data>/principals.json: tokens stored as scrypt hashes, never in
// the clear. Verification compares in constant time; a verified token is remembered (by a SHA-256
// of it) so scrypt runs once per token, not once per request, and at most two scrypt runs happen
// at a time, so a stream of bad credentials cannot starve the server.

import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Conflict, InvalidInput, NotFound } from '../core/errors.js';
import { isUuid, type ParticipantId } from '../core/ids.js';
import { principalKinds, type ParticipantBinding, type Principal, type PrincipalKind } from '../core/principal.js';
import { isOneOf, roles, type Role } from '../core/vocabulary.js';
import { writeFileDurable } from '../git/fsutil.js';
import { withRecordLock } from '../git/lock.js';

/** A principal as stored: its public fields and the scrypt hash of its token. */
export interface StoredPrincipal {
  name: string;
  kind: PrincipalKind;
  participant_id?: string;
  role?: Role;
  display_name?: string;
  salt: string;
  hash: string;
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
const REMEMBER_MS = 10 * 60 * 1000;
const FORGET_BAD_MS = 60 * 1000;

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

/** Bounded concurrency for scrypt runs. */
class Gate {
  #free: number;
  #waiting: Array<() => void> = [];
  constructor(slots: number) {
    this.#free = slots;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
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
  #stamp = '';
  #verified = new Map<string, { principal: Principal | null; until: number }>();
  #bindings: Map<string, ParticipantBinding[]> | null = null;
  readonly #gate = new Gate(2);
  readonly #dummySalt = randomBytes(16);

  constructor(readonly path: string) {}

  /** Reload the file when it changed on disk (checked by its stat on each call). */
  async refresh(): Promise<void> {
    let stamp = 'missing';
    try {
      const st = await fs.stat(this.path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch { /* no principals yet */ }
    if (stamp === this.#stamp) return;
    const list: StoredPrincipal[] = stamp === 'missing' ? [] : (JSON.parse(await fs.readFile(this.path, 'utf8')) as { principals: StoredPrincipal[] }).principals;
    this.#principals = new Map(list.map((p) => [p.name, p]));
    this.#verified.clear();
    this.#bindings = null;
    this.#stamp = stamp;
  }

  /** Every principal, without secrets. */
  async list(): Promise<Array<Omit<StoredPrincipal, 'salt' | 'hash'>>> {
    await this.refresh();
    return [...this.#principals.values()].map(({ salt: _s, hash: _h, ...rest }) => rest);
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

  /** The principal a name and token stand for, or null. Same work whether the name exists or not. */
  async verify(name: string, token: string): Promise<Principal | null> {
    await this.refresh();
    const key = `${name}\0${createHash('sha256').update(token).digest('base64')}`;
    const known = this.#verified.get(key);
    if (known && known.until > Date.now()) return known.principal;
    const stored = this.#principals.get(name);
    const salt = stored ? Buffer.from(stored.salt, 'base64') : this.#dummySalt;
    const expected = stored ? Buffer.from(stored.hash, 'base64') : Buffer.alloc(32);
    const actual = await this.#gate.run(() => scryptHash(token, salt));
    const ok = timingSafeEqual(actual, expected) && stored !== undefined;
    const principal = ok ? toPrincipal(stored) : null;
    if (this.#verified.size > 10_000) this.#verified.clear();
    this.#verified.set(key, { principal, until: Date.now() + (ok ? REMEMBER_MS : FORGET_BAD_MS) });
    return principal;
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
    const salt = randomBytes(16);
    const hash = await scryptHash(token, salt);
    await this.#change((all) => {
      if (all.some((x) => x.name === p.name)) throw new Conflict(`a principal named ${p.name} exists`);
      const stored: StoredPrincipal = {
        name: p.name, kind: p.kind, salt: salt.toString('base64'), hash: hash.toString('base64'), created_at: new Date().toISOString(),
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
