// Principals (SPEC 9): what a principal is as input and as the JSON file of older data folders
// (<data>/principals.json, moved into the identity database on first start: store/sqlite/migrateJson.ts),
// the validation of a new principal, new tokens, and the bounded gate that old scrypt hashes are
// checked through (server/identity/tokens.ts).

import { randomBytes } from 'node:crypto';
import { Unavailable } from '../core/errors.js';
import { checkBody } from '../core/checkBody.js';
import type { PrincipalKind } from '../core/principal.js';
import type { Role } from '../core/vocabulary.js';
import type { NewPrincipal } from './identity.js';
import { principalInputSchema, validatePrincipalInput } from './principalInputSchema.js';

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

/** A new random token: `ccr_` and 43 characters of base64url (256 bits). */
export function newToken(): string {
  return `ccr_${randomBytes(32).toString('base64url')}`;
}

/** Bounded concurrency with a bounded wait: past `maxWaiting` a run is refused (Unavailable). */
export class Gate {
  #free: number;
  #waiting: Array<() => void> = [];
  constructor(
    slots: number,
    readonly maxWaiting: number,
  ) {
    this.#free = slots;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else if (this.#waiting.length >= this.maxWaiting)
      throw new Unavailable('too many sign-ins are being checked; try again in a moment');
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

/**
 * Validate input for a new principal (API, `ccr principal add`, and the stored entries `ccr doctor`
 * reads) against schemas/api/principal.schema.json; refused (InvalidInput) with its first fault.
 */
export function checkPrincipalInput(input: unknown): PrincipalInput {
  return checkBody(validatePrincipalInput, principalInputSchema, input);
}

/** A checked principal input as the store takes it. */
export function newPrincipal(input: PrincipalInput): NewPrincipal {
  return input.kind === 'participant'
    ? {
        name: input.name,
        kind: 'participant',
        participant_id: input.participant_id!,
        role: input.role as Role,
        display_name: input.display_name!,
      }
    : { name: input.name, kind: input.kind };
}
