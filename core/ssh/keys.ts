// OpenSSH public keys: the wire blob, the one-line text form (`ssh-ed25519 AAAA… comment`), the
// SHA256 fingerprint as `ssh-keygen -lf` prints it, and a node:crypto KeyObject to verify with.
// A key is identified by its blob, so parsing insists on the one canonical encoding (minimal
// mpints, uncompressed points, nothing trailing): two spellings of one key cannot get two
// fingerprints.

import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { WireError, WireReader, WireWriter, decodeCanonicalBase64 } from './wire.js';

/** The key types CCR accepts for signatures. */
export const keyTypes = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
/** One of the accepted key types. */
export type KeyType = (typeof keyTypes)[number];

/** A parsed public key. `blob` is its canonical wire encoding; everything else follows from it. */
export interface SshPublicKey {
  type: KeyType;
  blob: Uint8Array;
  /** Size as `ssh-keygen -l` reports it: the modulus for RSA, the curve for the others. */
  bits: number;
  /** For the node:crypto verifier. */
  keyObject: KeyObject;
  /** Security keys (FIDO): the application string their signatures are bound to. */
  application?: string;
  /** The comment of the text form, when there was one. */
  comment?: string;
}

/** Why a key or signature was not accepted. */
export type KeyProblem = { ok: false; problem: 'malformed' | 'unsupported'; reason: string };
/** A parsed key, or why not. */
export type ParsedKey = { ok: true; key: SshPublicKey } | KeyProblem;

/** The smallest RSA modulus accepted (OpenSSH takes 1024; 1024-bit RSA is no longer safe). */
export const RSA_MIN_BITS = 2048;
/** The largest RSA modulus accepted (OpenSSH's limit for a bignum). */
export const RSA_MAX_BITS = 16384;
/** Longest comment accepted on a key line. */
export const COMMENT_MAX = 1024;

const curves = {
  nistp256: { jwk: 'P-256', bytes: 32, bits: 256 },
  nistp384: { jwk: 'P-384', bytes: 48, bits: 384 },
  nistp521: { jwk: 'P-521', bytes: 66, bits: 521 },
} as const;
type CurveName = keyof typeof curves;

const typeNames: Record<KeyType, string> = {
  'ssh-ed25519': 'ED25519',
  'ssh-rsa': 'RSA',
  'ecdsa-sha2-nistp256': 'ECDSA',
  'ecdsa-sha2-nistp384': 'ECDSA',
  'ecdsa-sha2-nistp521': 'ECDSA',
  'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
};

/** True for a key type CCR accepts. */
export function isKeyType(type: string): type is KeyType {
  return (keyTypes as readonly string[]).includes(type);
}

/** Why a type is refused: certificates, DSA and unknown types each get a reason a person understands. */
function unsupportedType(type: string): KeyProblem {
  const shown = JSON.stringify(type.slice(0, 60));
  if (type.includes('-cert-v01@openssh.com')) {
    return {
      ok: false,
      problem: 'unsupported',
      reason: `expected a plain public key, found an OpenSSH certificate (${shown}); register the key itself`,
    };
  }
  if (type === 'ssh-dss') {
    return {
      ok: false,
      problem: 'unsupported',
      reason: 'expected an Ed25519, ECDSA or RSA key, found a DSA key (ssh-dss), which is no longer safe',
    };
  }
  return { ok: false, problem: 'unsupported', reason: `expected a key of type ${keyTypes.join(', ')}, found ${shown}` };
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** Parse a key's wire blob strictly. */
export function parsePublicKeyBlob(blob: Uint8Array): ParsedKey {
  try {
    return parseBlob(blob);
  } catch (e) {
    if (e instanceof WireError) return { ok: false, problem: 'malformed', reason: e.message };
    throw e;
  }
}

function parseBlob(blob: Uint8Array): ParsedKey {
  const r = new WireReader(blob, 'public key');
  const type = r.text('key type');
  if (!isKeyType(type)) return unsupportedType(type);
  let jwk: JsonWebKey;
  let bits: number;
  let application: string | undefined;
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    const pk = r.string('Ed25519 key');
    if (pk.length !== 32) throw new WireError(`public key: expected a 32-byte Ed25519 key, found ${pk.length} bytes`);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(pk) };
    bits = 256;
  } else if (type === 'ssh-rsa') {
    const e = r.mpint('RSA exponent');
    const n = r.mpint('RSA modulus');
    bits = bitLength(n);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      return {
        ok: false,
        problem: 'unsupported',
        reason: `expected an RSA key of ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits, found ${bits} bits`,
      };
    }
    if (!(n[n.length - 1]! & 1) || !(e[e.length - 1]! & 1) || bitLength(e) < 2 || bitLength(e) > bits) {
      throw new WireError('public key: expected an odd RSA modulus and an odd exponent from 3 up to the modulus');
    }
    jwk = { kty: 'RSA', n: b64url(n), e: b64url(e) };
  } else {
    const curve = r.text('curve name');
    const expected = type
      .replace(/^sk-/, '')
      .replace(/@openssh\.com$/, '')
      .replace('ecdsa-sha2-', '') as CurveName;
    if (curve !== expected) {
      throw new WireError(
        `public key: expected curve ${expected} for ${type}, found ${JSON.stringify(curve.slice(0, 40))}`,
      );
    }
    const c = curves[expected];
    const q = r.string('EC point');
    if (q.length !== 1 + 2 * c.bytes || q[0] !== 0x04) {
      throw new WireError(
        `public key: expected an uncompressed ${curve} point of ${1 + 2 * c.bytes} bytes, found ${q.length} bytes`,
      );
    }
    jwk = { kty: 'EC', crv: c.jwk, x: b64url(q.subarray(1, 1 + c.bytes)), y: b64url(q.subarray(1 + c.bytes)) };
    bits = c.bits;
  }
  if (type.startsWith('sk-')) application = r.text('security key application');
  r.end();
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return {
      ok: false,
      problem: 'malformed',
      reason: `public key: the ${type} key material is not a valid key (not a point of the curve, or not an RSA key)`,
    };
  }
  const key: SshPublicKey = { type, blob, bits, keyObject };
  if (application !== undefined) key.application = application;
  return { ok: true, key };
}

function bitLength(magnitude: Uint8Array): number {
  if (magnitude.length === 0) return 0;
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
}

const LINE = /^([A-Za-z0-9@.-]{1,64}) ([A-Za-z0-9+/]+={0,2})(?: ([^\0-\x1f\x7f]*))?$/;

/**
 * Parse an OpenSSH public key line, `<type> <base64> [comment]`, strictly: single spaces between
 * the fields, no options before the type, the type repeated inside the blob, canonical base64,
 * no control characters. Surrounding whitespace (a pasted trailing newline) is ignored.
 */
export function parsePublicKey(line: string): ParsedKey {
  const text = line.trim();
  const words = text.split(/[ \t]+/);
  if (!isKeyType(words[0]!) && words.slice(1).some(isKeyType)) {
    return {
      ok: false,
      problem: 'malformed',
      reason: `expected the key type first, found ${JSON.stringify(words[0]!.slice(0, 40))} before it (no options are taken)`,
    };
  }
  const m = LINE.exec(text);
  if (!m) {
    const reason = /[\r\n]/.test(text)
      ? 'expected one key on one line, found several lines'
      : 'expected `<type> <base64 key> [comment]` with single spaces, found another shape';
    return { ok: false, problem: 'malformed', reason };
  }
  const [, type, base64, comment] = m;
  if (!isKeyType(type!)) return unsupportedType(type!);
  const blob = decodeCanonicalBase64(base64!);
  if (!blob)
    return { ok: false, problem: 'malformed', reason: 'expected the key in canonical base64, found invalid base64' };
  const parsed = parsePublicKeyBlob(blob);
  if (!parsed.ok) return parsed;
  if (parsed.key.type !== type) {
    return {
      ok: false,
      problem: 'malformed',
      reason: `expected the key inside to be ${type}, as the line says, found ${parsed.key.type}`,
    };
  }
  if (comment !== undefined && comment.length > COMMENT_MAX) {
    return {
      ok: false,
      problem: 'malformed',
      reason: `expected a comment of at most ${COMMENT_MAX} characters, found ${comment.length}`,
    };
  }
  if (comment) parsed.key.comment = comment;
  return parsed;
}

/** The key's text form, `<type> <base64>`, with its comment when asked and present. */
export function formatPublicKey(key: SshPublicKey, withComment = false): string {
  const line = `${key.type} ${Buffer.from(key.blob).toString('base64')}`;
  return withComment && key.comment ? `${line} ${key.comment}` : line;
}

/** The SHA256 fingerprint exactly as OpenSSH prints it: `SHA256:` and unpadded base64. */
export function fingerprint(key: SshPublicKey): string {
  return `SHA256:${createHash('sha256').update(key.blob).digest('base64').replace(/=+$/, '')}`;
}

/** The line `ssh-keygen -lf` prints for the key: bits, fingerprint, comment, type. */
export function describeKey(key: SshPublicKey): string {
  return `${key.bits} ${fingerprint(key)} ${key.comment ?? 'no comment'} (${typeNames[key.type]})`;
}

/** True when two keys are the same key (comments aside). */
export function sameKey(a: SshPublicKey, b: SshPublicKey): boolean {
  return Buffer.compare(a.blob, b.blob) === 0;
}

/** The SSH public key of a node:crypto key (public or private): Ed25519, ECDSA P-256/384/521 or RSA. */
export function publicKeyFromKeyObject(key: KeyObject, comment?: string): ParsedKey {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const bytes = (s: string | undefined) => new Uint8Array(Buffer.from(s ?? '', 'base64url'));
  const w = new WireWriter();
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') w.string('ssh-ed25519').string(bytes(jwk.x));
  else if (jwk.kty === 'RSA') w.string('ssh-rsa').mpint(bytes(jwk.e)).mpint(bytes(jwk.n));
  else if (jwk.kty === 'EC') {
    const entry = Object.entries(curves).find(([, c]) => c.jwk === jwk.crv);
    if (!entry)
      return {
        ok: false,
        problem: 'unsupported',
        reason: `expected a P-256, P-384 or P-521 key, found curve ${jwk.crv}`,
      };
    const [name, c] = entry;
    const point = new Uint8Array(1 + 2 * c.bytes);
    point[0] = 0x04;
    point.set(bytes(jwk.x), 1);
    point.set(bytes(jwk.y), 1 + c.bytes);
    w.string(`ecdsa-sha2-${name}`).string(name).string(point);
  } else {
    const found = pub.asymmetricKeyType ?? 'another kind';
    return { ok: false, problem: 'unsupported', reason: `expected an Ed25519, ECDSA or RSA key, found ${found}` };
  }
  const parsed = parsePublicKeyBlob(w.bytes());
  if (parsed.ok && comment) parsed.key.comment = comment;
  return parsed;
}
