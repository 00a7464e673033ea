// Principals (SPEC 9): what a principal is as input and as the JSON file of older data folders
// (<data>/principals.json, moved into the identity database on first start: store/sqlite/migrateJson.ts),
// the validation of a new principal, new tokens, and the bounded gate that old scrypt hashes are
// checked through (server/identity/tokens.ts).

import { randomBytes } from 'node:crypto';
import { InvalidInput, Unavailable } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { principalKinds, type PrincipalKind } from '../core/principal.js';
import { isOneOf, roles, type Role } from '../core/vocabulary.js';
import type { NewPrincipal } from './identity.js';

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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A new random token: `ccr_` and 43 characters of base64url (256 bits). */
export function newToken(): string {
  return `ccr_${randomBytes(32).toString('base64url')}`;
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

/** Validate input for a new principal (API, `ccr principal add`, and the stored entries `ccr doctor` reads). */
export function checkPrincipalInput(input: PrincipalInput): PrincipalInput {
  if (!input || typeof input.name !== 'string' || !NAME.test(input.name)) throw new InvalidInput('expected a name of letters, digits, `.`, `_` or `-` (at most 64, no `:`)');
  if (input.name === 'ccr-server') throw new InvalidInput('expected another name: ccr-server names the site key in the allowed signers');
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

/** A checked principal input as the store takes it. */
export function newPrincipal(input: PrincipalInput): NewPrincipal {
  return input.kind === 'participant'
    ? { name: input.name, kind: 'participant', participant_id: input.participant_id!, role: input.role as Role,
      display_name: input.display_name! }
    : { name: input.name, kind: input.kind };
}
