// Who signed a commit (SPEC 7, issue 14), judged against the keys the server holds, or offline
// against an allowed signers file. Pure: the key look-up, the pusher and the server clock come in
// as parameters. The refusal is reported under its id by core/rules/commitSignature.ts.

import { allowsAt, type AllowedSigner } from '../ssh/allowedSigners.js';
import { verifyCommitSignature } from '../ssh/commitSignature.js';
import { fingerprint, sameKey } from '../ssh/keys.js';
import { GIT_NAMESPACE } from '../ssh/sshsig.js';

/** A registered key as the rule needs it: owner, window and revocation in epoch seconds. */
export interface RegisteredKey {
  principal: string;
  fingerprint: string;
  valid_after: number | null;
  valid_before: number | null;
  revoked_at: number | null;
}

/** What a commit's signature is judged against. */
export interface SignatureContext {
  /** The pushing principal's name. */
  pusher: string;
  /** Every commit must be signed by a key registered to the pusher (`--require-signed-commits`). */
  required: boolean;
  /** A registered key by fingerprint, revoked ones included; null when unknown. */
  key(fingerprint: string): RegisteredKey | null;
  /** Server time, ms. */
  now: number;
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Why one commit object (its content) is refused for its signature, or null. Without the
 * policy only a signature that is there and bad is refused: one that does not verify, or whose
 * registered key is revoked or outside its window. With it, also unsigned commits, unknown keys
 * and keys of another principal. Windows are judged at the commit time (as `git verify-commit`)
 * and at the server time (a key revoked or expired signs nothing new, whatever date a commit says).
 */
export function signatureRefusal(content: Uint8Array, commitSeconds: number, ctx: SignatureContext): string | null {
  const check = verifyCommitSignature(content);
  const registered = `a key registered to ${ctx.pusher}`;
  if (!check.ok && check.problem === 'unsigned') {
    return ctx.required ? `expected a commit signed by ${registered}, found an unsigned commit` : null;
  }
  if (!check.ok) {
    return `expected a signature that verifies, found a bad signature (${check.problem}): ${check.reason}`;
  }
  const fp = fingerprint(check.key);
  const key = ctx.key(fp);
  if (!key) {
    return ctx.required ? `expected a signature by ${registered}, found one by unknown key ${fp}` : null;
  }
  const nowSeconds = Math.floor(ctx.now / 1000);
  const whose = `key ${fp} of ${key.principal}`;
  if (key.revoked_at !== null && (nowSeconds >= key.revoked_at || commitSeconds >= key.revoked_at)) {
    return `expected a signature by a key in force, found one by ${whose}, revoked at ${iso(key.revoked_at)}`;
  }
  for (const [at, what] of [
    [commitSeconds, 'the commit time'],
    [nowSeconds, 'the server time'],
  ] as const) {
    if ((key.valid_after !== null && at < key.valid_after) || (key.valid_before !== null && at > key.valid_before)) {
      const from = key.valid_after === null ? '…' : iso(key.valid_after);
      const to = key.valid_before === null ? '…' : iso(key.valid_before);
      return (
        `expected a signature by a key valid at ${what} ${iso(at)}, found one by ${whose}, ` +
        `outside its validity (${from} to ${to})`
      );
    }
  }
  if (ctx.required && key.principal !== ctx.pusher) {
    return `expected a signature by ${registered}, found one by key ${fp} of another principal ` + `(${key.principal})`;
  }
  return null;
}

/** How a commit's signature stands against an allowed signers file (`ccr verify --allowed-signers`). */
export type SignatureStatus =
  | { status: 'good'; principal: string; fingerprint: string }
  | { status: 'unsigned' | 'unknown' | 'bad'; reason: string };

/**
 * Judge a commit's signature offline as `git verify-commit` with the file would: good when it
 * verifies and a line of the file allows its key in namespace `git` at the commit time.
 */
export function signatureStatus(
  content: Uint8Array,
  commitSeconds: number,
  signers: readonly AllowedSigner[],
): SignatureStatus {
  const check = verifyCommitSignature(content);
  if (!check.ok && check.problem === 'unsigned') return { status: 'unsigned', reason: 'no signature' };
  if (!check.ok) return { status: 'bad', reason: `${check.problem}: ${check.reason}` };
  const fp = fingerprint(check.key);
  const lines = signers.filter((s) => sameKey(s.key, check.key));
  if (lines.length === 0) {
    return { status: 'unknown', reason: `signed by key ${fp}, which the allowed signers file does not list` };
  }
  const allowed = lines.find((s) => allowsAt(s, GIT_NAMESPACE, commitSeconds));
  if (!allowed) {
    return {
      status: 'bad',
      reason:
        `signed by key ${fp} of ${lines.map((s) => s.principal).join(', ')} ` +
        `outside its validity or namespaces at the commit time ${iso(commitSeconds)}`,
    };
  }
  return { status: 'good', principal: allowed.principal, fingerprint: fp };
}
