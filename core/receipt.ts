// Push receipts (issue 14): what the server acknowledges for an accepted push (record, old and new
// `main`, the pushing principal, the server time), signed with the site key in the namespace
// `ccr-receipt` (never `git`: a receipt can never pass for a commit signature, nor the reverse).
// A receipt is text a person can keep: the hook prints it in `remote:` lines, the access log keeps
// it, `ccr receipt verify` checks a copy pasted from a push's output with or without `remote: `.

import { allowsAt, type AllowedSigner } from './ssh/allowedSigners.js';
import { fingerprint, sameKey } from './ssh/keys.js';
import { verifySshSignature } from './ssh/sshsig.js';

/** The namespace of receipt signatures. */
export const RECEIPT_NAMESPACE = 'ccr-receipt';
/** The identity of the site key in the allowed signers file. */
export const SITE_SIGNER = 'ccr-server';

const BEGIN = '-----BEGIN CCR RECEIPT-----';
const END = '-----END CCR RECEIPT-----';
const SIG_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const SIG_END = '-----END SSH SIGNATURE-----';
const FIELDS = ['receipt', 'record', 'ref', 'old', 'new', 'principal', 'time', 'server', 'request'] as const;

/** What a receipt says. */
export interface Receipt {
  /** The format version: 1. */
  receipt: string;
  record: string;
  ref: string;
  old: string;
  new: string;
  principal: string;
  /** Server time, RFC 3339 UTC with milliseconds. */
  time: string;
  /** The server's base URL. */
  server: string;
  request: string;
}

/** The signed text of a receipt: one `field: value` line per field, in order. */
export function receiptPayload(r: Receipt): string {
  for (const f of FIELDS) {
    if (/[\r\n]/.test(r[f]) || r[f] === '') throw new Error(`receipt field ${f} must be one non-empty line`);
  }
  return FIELDS.map((f) => `${f}: ${r[f]}\n`).join('');
}

/** A receipt's lines, signature included (each without its newline), as the hook prints them. */
export function renderReceipt(r: Receipt, sign: (payload: string) => string): string[] {
  const payload = receiptPayload(r);
  return [BEGIN, ...payload.slice(0, -1).split('\n'), ...sign(payload).trimEnd().split('\n'), END];
}

/** A receipt found in text (push output, a file): its fields, signed text and armoured signature. */
export type ParsedReceipt =
  { ok: true; receipt: Receipt; payload: string; signature: string } | { ok: false; reason: string };

/** Find and read a receipt in text; `remote: ` prefixes, terminal clears and CRLF are ignored. */
export function parseReceipt(text: string): ParsedReceipt {
  const lines = text.split('\n').map((l) =>
    l
      .replace(/\r$/, '')
      .replace(/^remote: ?/, '')
      .replace(/(\x1b\[K)+$/, '')
      .replace(/[ \t]+$/, ''),
  );
  const start = lines.indexOf(BEGIN);
  if (start === -1) return { ok: false, reason: `expected a receipt (${BEGIN}), found none` };
  const end = lines.indexOf(END, start);
  if (end === -1) return { ok: false, reason: `expected ${END} after ${BEGIN}` };
  if (lines.indexOf(BEGIN, end) !== -1)
    return { ok: false, reason: 'expected one receipt, found more: give one at a time' };
  const body = lines.slice(start + 1, end);
  const sigAt = body.indexOf(SIG_BEGIN);
  if (sigAt !== FIELDS.length || body[body.length - 1] !== SIG_END) {
    return { ok: false, reason: `expected the fields ${FIELDS.join(', ')} then an SSH signature` };
  }
  const values: Partial<Receipt> = {};
  for (const [i, f] of FIELDS.entries()) {
    const line = body[i]!;
    if (!line.startsWith(`${f}: `) || line.length === f.length + 2)
      return {
        ok: false,
        reason: `expected line ${i + 1} of the receipt to be \`${f}: …\`, found ${JSON.stringify(line.slice(0, 80))}`,
      };
    values[f] = line.slice(f.length + 2);
  }
  const receipt = values as Receipt;
  return { ok: true, receipt, payload: receiptPayload(receipt), signature: body.slice(sigAt).join('\n') + '\n' };
}

/** The verdict on a receipt. */
export type ReceiptCheck =
  { ok: true; receipt: Receipt; fingerprint: string } | { ok: false; reason: string; receipt?: Receipt };

/**
 * Check a receipt against an allowed signers file: a signature that verifies in the receipt
 * namespace, by a key listed as `ccr-server` for that namespace, in its window at the receipt's time.
 */
export function verifyReceipt(text: string, signers: readonly AllowedSigner[]): ReceiptCheck {
  const parsed = parseReceipt(text);
  if (!parsed.ok) return parsed;
  const { receipt } = parsed;
  const check = verifySshSignature(parsed.signature, new TextEncoder().encode(parsed.payload), {
    namespace: RECEIPT_NAMESPACE,
  });
  if (!check.ok)
    return {
      ok: false,
      receipt,
      reason: `expected a signature that verifies, found ${check.problem}: ${check.reason}`,
    };
  const fp = fingerprint(check.key);
  const listed = signers.filter((s) => s.principal === SITE_SIGNER && sameKey(s.key, check.key));
  if (listed.length === 0)
    return {
      ok: false,
      receipt,
      reason: `expected a signature by the server's key (${SITE_SIGNER} in the allowed signers), found one by key ${fp}`,
    };
  const ms = Date.parse(receipt.time);
  if (!Number.isFinite(ms))
    return { ok: false, receipt, reason: `expected an RFC 3339 time, found ${JSON.stringify(receipt.time)}` };
  if (!listed.some((s) => allowsAt(s, RECEIPT_NAMESPACE, Math.floor(ms / 1000)))) {
    return {
      ok: false,
      receipt,
      reason: `expected key ${fp} to be allowed for ${RECEIPT_NAMESPACE} at ${receipt.time}, found it is not`,
    };
  }
  return { ok: true, receipt, fingerprint: fp };
}
