// Signing key lifecycle (issue 14), for `POST|GET /api/principals/<name>/keys`,
// `DELETE /api/principals/<name>/keys/<id>` and `GET /api/allowed-signers`: keys checked by the
// core/ssh parser before they reach the store, rights decided here, never any private material.

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/identityValidators.js';
import { Conflict, Forbidden, InvalidInput, NotFound } from '../../core/errors.js';
import type { Principal } from '../../core/principal.js';
import { rightsOf } from '../../core/rights.js';
import { describeSchemaErrors } from '../../core/schemas.js';
import { renderAllowedSigner, type AllowedSigner } from '../../core/ssh/allowedSigners.js';
import { fingerprint, formatPublicKey, parsePublicKey } from '../../core/ssh/keys.js';
import { verifySshSignature } from '../../core/ssh/sshsig.js';
import type { IdentityStore, NewSigningKey, SigningKey } from '../../store/identity.js';
import { actorOf, mayManageTokens } from '../../store/tokenOps.js';

/** The body of `POST /api/principals/<name>/keys`. */
export interface NewKeyBody {
  public_key: string;
  valid_after?: string;
  valid_before?: string;
  /** An SSHSIG by the key over `keyProofMessage(name)` in namespace `KEY_PROOF_NAMESPACE`. */
  proof?: string;
}

/** The namespace of a proof that the registering principal holds the key's private half. */
export const KEY_PROOF_NAMESPACE = 'ccr-key-registration';

/** What a principal signs to show it holds a key it registers for itself. */
export function keyProofMessage(name: string): string {
  return `ccr key registration: ${name}\n`;
}

// schemas/api/key.schema.json, compiled ahead of time (the generated code is untyped).
const validateNewKey = generated.validateNewKey as ValidateFunction<NewKeyBody>;
/** The shape of a key id (`newId('key')` of the store). */
export const KEY_ID = /^key_[A-Za-z0-9_-]{12}$/;

// A private key in any of the forms people paste: PEM/OpenSSH armour, or the fields of a JSON key.
const PRIVATE = /PRIVATE KEY|openssh-key-v1|^-----BEGIN /;

/** A key creation's input as the store takes it; InvalidInput says why not. */
export function parseNewKey(body: unknown): NewSigningKey {
  const raw = body as { public_key?: unknown; private_key?: unknown } | null;
  const looksPrivate = typeof raw?.public_key === 'string' && PRIVATE.test(raw.public_key);
  if (raw && typeof raw === 'object' && ('private_key' in raw || looksPrivate)) {
    throw new InvalidInput(
      'expected a public key (the line of the .pub file), found what looks like a private key: ' +
        'the server never takes private keys; keep it where it is and send its .pub line',
    );
  }
  if (!validateNewKey(body)) throw new InvalidInput(describeSchemaErrors(validateNewKey.errors).join('; '));
  const parsed = parsePublicKey(body.public_key);
  if (!parsed.ok) throw new InvalidInput(`public_key refused (${parsed.problem}): ${parsed.reason}`);
  const out: NewSigningKey = { public_key: formatPublicKey(parsed.key), fingerprint: fingerprint(parsed.key) };
  if (parsed.key.comment) out.comment = parsed.key.comment;
  const after = body.valid_after == null ? undefined : seconds(body.valid_after, 'valid_after', Math.ceil);
  const before = body.valid_before == null ? undefined : seconds(body.valid_before, 'valid_before', Math.floor);
  if (after !== undefined) out.valid_after = after;
  if (before !== undefined) out.valid_before = before;
  if (after !== undefined && before !== undefined && before <= after) {
    throw new InvalidInput(
      `expected valid_before later than valid_after, found ${body.valid_before} ` + `≤ ${body.valid_after}`,
    );
  }
  return out;
}

/** Whole epoch seconds of an RFC 3339 time, rounded inwards (a window never grows). */
function seconds(text: string, field: string, round: (n: number) => number): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 1000 || ms > Date.UTC(9999, 11, 31)) {
    throw new InvalidInput(`expected ${field} to be a real date and time, found ${text}`);
  }
  return round(ms / 1000);
}

/** A key as the API shows it: times in ISO 8601 UTC. */
export function keyView(k: SigningKey): Record<string, string | null> {
  const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());
  return {
    id: k.id,
    principal: k.principal,
    public_key: k.public_key,
    fingerprint: k.fingerprint,
    comment: k.comment,
    valid_after: iso(k.valid_after),
    valid_before: iso(k.valid_before),
    created_at: k.created_at,
    revoked_at: iso(k.revoked_at),
  };
}

/**
 * Register a key for principal `name` on behalf of `by`: an admin (who vouches for whose key it
 * is, e.g. a peer site's key under its site principal), or the principal itself with a `proof`
 * that it holds the private half, so nobody can claim another's public key (a colleague's, a peer
 * site's) and have its signatures named as theirs. `reserved`: fingerprints no principal may hold
 * (this server's site key).
 */
export async function addKey(
  store: IdentityStore,
  by: Principal,
  name: string,
  body: unknown,
  reserved: ReadonlySet<string> = new Set(),
): Promise<SigningKey> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may add keys for ${name}`);
  const key = parseNewKey(body ?? {});
  if (reserved.has(key.fingerprint)) {
    throw new Conflict(
      `expected a key of ${name}, found this server's own site key (ccr-server in the allowed signers), which no principal may hold`,
    );
  }
  if (!rightsOf(by).managePrincipals) {
    const proof = (body as NewKeyBody).proof;
    const parsed = parsePublicKey(key.public_key);
    const check =
      proof === undefined || !parsed.ok
        ? null
        : verifySshSignature(proof, new TextEncoder().encode(keyProofMessage(name)), {
            namespace: KEY_PROOF_NAMESPACE,
            key: parsed.key,
          });
    if (!check?.ok) {
      throw new InvalidInput(
        `expected proof: a signature by this key over "${keyProofMessage(name).trim()}" in namespace ${KEY_PROOF_NAMESPACE}, ` +
          `found ${proof === undefined ? 'none' : `one that does not verify (${check && !check.ok ? check.reason : 'unreadable'})`}; make it with ` +
          `printf '${keyProofMessage(name).trim()}\\n' | ssh-keygen -Y sign -n ${KEY_PROOF_NAMESPACE} -f <private key file> and send the armoured text as "proof"`,
      );
    }
  }
  return store.addKey(name, key, actorOf(by));
}

/** The keys of principal `name`, revoked ones included. */
export async function listKeys(store: IdentityStore, by: Principal, name: string): Promise<SigningKey[]> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may list the keys of ${name}`);
  const keys = await store.keys(name);
  // A removed principal's keys stay listed (revoked); a name never seen is not found.
  if (keys.length === 0 && !(await store.principal(name))) throw new NotFound(`no principal ${name}`);
  return keys;
}

/** Revoke key `id` of principal `name` at `now` (epoch ms): later signatures by it stop counting. */
export async function revokeKey(
  store: IdentityStore,
  by: Principal,
  name: string,
  id: string,
  now = Date.now(),
): Promise<SigningKey> {
  if (!mayManageTokens(by, name)) throw new Forbidden(`only an admin or ${name} may revoke the keys of ${name}`);
  if (!KEY_ID.test(id)) {
    throw new InvalidInput(`expected a key id such as key_AbCdEf012345, found ${JSON.stringify(id.slice(0, 40))}`);
  }
  return store.revokeKey(name, id, Math.floor(now / 1000), actorOf(by));
}

/**
 * A stored key as an allowed signers entry: its own window, ended at its revocation (the last
 * second before it: a signature made at or after revocation does not count).
 */
export function signerOf(k: SigningKey): AllowedSigner | null {
  const parsed = parsePublicKey(k.public_key);
  if (!parsed.ok) return null;
  const ends = [k.valid_before, k.revoked_at === null ? null : k.revoked_at - 1].filter((s): s is number => s !== null);
  const entry: AllowedSigner = { principal: k.principal, key: parsed.key };
  if (k.valid_after !== null) entry.validAfter = k.valid_after;
  if (ends.length) entry.validBefore = Math.min(...ends);
  return entry;
}

/** Every key as an allowed signers file (keys whose window is empty, revoked before valid, left out). */
export function allowedSignersFile(keys: SigningKey[]): string {
  const lines: string[] = [];
  for (const k of keys) {
    const entry = signerOf(k);
    if (!entry) continue;
    const end = entry.validBefore;
    if (end !== undefined && (end < 1 || end <= (entry.validAfter ?? 0))) continue;
    lines.push(renderAllowedSigner(entry));
  }
  return lines.map((l) => `${l}\n`).join('');
}
