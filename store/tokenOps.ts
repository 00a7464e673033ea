// Token lifecycle operations, for the routes `POST|GET /api/principals/<name>/tokens`,
// `DELETE /api/principals/<name>/tokens/<id>` and the command `ccr principal token add|list|revoke`:
// input validated by schemas compiled ahead of time, rights decided here, the token shown once.

import type { ValidateFunction } from 'ajv';
import * as generated from '../core/generated/identityValidators.js';
import { Forbidden, InvalidInput } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { rightsOf } from '../core/rights.js';
import { describeSchemaErrors } from '../core/schemas.js';
import type { Actor, IdentityStore, TokenInfo } from './identity.js';
import { newToken } from './principals.js';
import type { TokenHasher } from './tokenHash.js';

/** The body of `POST /api/principals/<name>/tokens`. */
export interface NewTokenBody {
  label?: string;
  expires_at?: string;
}

/**
 * The longest a principal's token made by itself may live. It also ends no later than the
 * credential the request signed in with (selfTokenBound), so a token cannot mint a longer one.
 */
export const SELF_TOKEN_MAX_MS = 90 * 24 * 3600 * 1000;

/**
 * The latest expiry of a token a principal makes for itself: 90 days ahead, and not after the
 * credential the request signed in with (`credentialEndsMs`; null for a token that never expires).
 */
export function selfTokenBound(now: number, credentialEndsMs: number | null): number {
  return Math.min(now + SELF_TOKEN_MAX_MS, credentialEndsMs ?? Infinity);
}

// schemas/api/token.schema.json and token-id.schema.json, compiled ahead of time (the generated code is untyped).
/** Validates the body of a token creation. */
export const validateNewToken = generated.validateNewToken as ValidateFunction<NewTokenBody>;
/** Validates a token id taken from a URL or a command line. */
export const validateTokenId = generated.validateTokenId as ValidateFunction<string>;

/** Who may manage the tokens of principal `name`: an admin, or the principal itself. */
export function mayManageTokens(by: Principal, name: string): boolean {
  return rightsOf(by).managePrincipals || by.name === name;
}

/** The actor of an audit entry for a principal acting through the API. */
export const actorOf = (p: Principal): Actor => ({ actor: p.name });

/**
 * A token creation's input as checked values: the label, and the expiry in epoch ms. `bound` is
 * the latest expiry allowed (a token a principal makes for itself), and its default; null for none.
 */
export function parseNewToken(
  body: unknown,
  now: number,
  bound: number | null,
): { label?: string; expiresAt?: number } {
  if (!validateNewToken(body)) throw new InvalidInput(describeSchemaErrors(validateNewToken.errors).join('; '));
  const out: { label?: string; expiresAt?: number } = {};
  if (body.label !== undefined && body.label !== null) out.label = body.label;
  if (body.expires_at !== undefined && body.expires_at !== null) {
    const at = realTime(body.expires_at);
    if (at === null) throw new InvalidInput(`expected expires_at to be a real date and time, found ${body.expires_at}`);
    if (at <= now) throw new InvalidInput(`expected expires_at in the future, found ${body.expires_at}`);
    out.expiresAt = at;
  }
  if (bound === null) return out;
  if (out.expiresAt === undefined) out.expiresAt = bound;
  if (out.expiresAt > bound) {
    throw new InvalidInput(
      `expected expires_at no later than ${new Date(bound).toISOString()} for a token a ` +
        `principal makes for itself (at most ${SELF_TOKEN_MAX_MS / 86_400_000} days, and not after the credential ` +
        'this request signed in with), ' +
        `found ${new Date(out.expiresAt).toISOString()}; an admin may make longer-lived ones for others`,
    );
  }
  return out;
}

/** Epoch ms of an RFC 3339 time whose fields are a real calendar time (not 30 February, not hour 24), or null. */
function realTime(text: string): number | null {
  const [y, mo, d, h, mi, s] = (text.match(/\d+/g) ?? []).slice(0, 6).map(Number) as number[];
  const fields = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  const same =
    fields.getUTCFullYear() === y &&
    fields.getUTCMonth() === mo! - 1 &&
    fields.getUTCDate() === d &&
    fields.getUTCHours() === h &&
    fields.getUTCMinutes() === mi &&
    fields.getUTCSeconds() === s;
  const at = Date.parse(text);
  return same && !Number.isNaN(at) ? at : null;
}

/** The answer of a token creation: the token is in it, and nowhere else, ever. */
export interface CreatedToken {
  id: string;
  token: string;
  expires_at: string | null;
}

/**
 * Create a token for principal `name` on behalf of `by`: 201 `{id, token, expires_at}`. A token
 * `by` makes for itself ends by selfTokenBound (`credentialEndsMs`: when `by`'s credential ends).
 */
export async function createToken(
  store: IdentityStore,
  hasher: TokenHasher,
  by: Principal,
  name: string,
  body: unknown,
  now = Date.now(),
  credentialEndsMs: number | null = null,
): Promise<CreatedToken> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may make tokens for ${name}`);
  const input = parseNewToken(body ?? {}, now, by.name === name ? selfTokenBound(now, credentialEndsMs) : null);
  const token = newToken();
  const info = await store.addToken(name, { hash: hasher.hash(token), ...input }, actorOf(by));
  return { id: info.id, token, expires_at: info.expires_at };
}

/** The tokens of principal `name`, without secrets: `{tokens: [...]}`. */
export async function listTokens(store: IdentityStore, by: Principal, name: string): Promise<{ tokens: TokenInfo[] }> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may list the tokens of ${name}`);
  return { tokens: await store.tokens(name) };
}

/** Revoke token `id` of principal `name`; it stops working at once (204). */
export async function revokeToken(store: IdentityStore, by: Principal, name: string, id: string): Promise<void> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may revoke the tokens of ${name}`);
  if (!validateTokenId(id))
    throw new InvalidInput(
      `expected a token id such as tok_AbCdEf012345, found ${JSON.stringify(String(id).slice(0, 40))}`,
    );
  await store.revokeToken(name, id, actorOf(by));
}

/** `--expires-in` of `ccr principal token add`: `90d`, `12h`, `30m` as an ISO time from `now`. */
export function expiresIn(text: string, now = Date.now()): string {
  const m = /^([1-9]\d{0,5})([dhm])$/.exec(text);
  if (!m)
    throw new InvalidInput(
      `expected --expires-in as a number and d, h or m (90d, 12h, 30m), found ${JSON.stringify(text)}`,
    );
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
  return new Date(now + Number(m[1]) * unit).toISOString();
}
