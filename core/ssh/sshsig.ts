// SSHSIG: OpenSSH's detached signature format (PROTOCOL.sshsig), the one `ssh-keygen -Y sign`
// writes and git uses for `gpg.format=ssh`. Parsed strictly, verified and made in process with
// node:crypto. Every entry point gives a typed result with a reason a person understands and
// never throws on hostile input. Where OpenSSH is lenient (a version 0, a non-empty reserved field,
// text after the END line, short RSA signatures, padded numbers) this parser refuses: one
// signature has one encoding. docs/decisions.md lists each difference.

import { createHash, sign as cryptoSign, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { InvalidInput } from '../errors.js';
import { fingerprint, parsePublicKeyBlob, publicKeyFromKeyObject, type ParsedKey, type SshPublicKey } from './keys.js';
import { WireError, WireReader, WireWriter, concatBytes, decodeCanonicalBase64, sameBytes } from './wire.js';

/** The hash algorithms SSHSIG allows for the message. */
export type HashAlgorithm = 'sha256' | 'sha512';
/** Why a signature was not accepted. */
export type SignatureProblem =
  | 'malformed' // the armour or the blob is not as the format says
  | 'unsupported' // a key type, signature algorithm or hash CCR does not accept
  | 'wrong-namespace' // made for another purpose (a file, a receipt) than the one asked for
  | 'key-mismatch' // made by a key other than the one expected
  | 'bad-signature' // does not verify over the message
  | 'no-user-presence'; // a security key signed without the touch that proves a person was there

/** A signature that failed, with the signing key when the blob got that far. */
export interface SignatureFailure {
  ok: false;
  problem: SignatureProblem;
  reason: string;
  key?: SshPublicKey;
}
/** A signature that verified: who signed, for what, how. */
export interface SignatureSuccess {
  ok: true;
  key: SshPublicKey;
  namespace: string;
  hashAlgorithm: HashAlgorithm;
  /** Security keys only: the authenticator's flags (bit 0 user present, bit 2 user verified) and counter. */
  securityKey?: { flags: number; counter: number };
}
/** The outcome of verifying a signature. */
export type SignatureCheck = SignatureSuccess | SignatureFailure;

/** A parsed SSHSIG blob. */
export interface SshSignature {
  key: SshPublicKey;
  namespace: string;
  hashAlgorithm: HashAlgorithm;
  /** The signature algorithm inside: the key type, or rsa-sha2-256 / rsa-sha2-512. */
  algorithm: string;
  /** The raw signature: 64 bytes (Ed25519), the modulus length (RSA), or r‖s at the curve size (ECDSA). */
  signature: Uint8Array;
  securityKey?: { flags: number; counter: number };
}
/** A parsed signature, or why not. */
export type ParsedSignature = { ok: true; value: SshSignature } | SignatureFailure;

const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
const MAGIC = 'SSHSIG';
const WRAP = 70; // ssh-keygen's line width
const MAX_WRAP = 76; // PROTOCOL.sshsig's
/** Namespace git uses for commit and tag signatures. */
export const GIT_NAMESPACE = 'git';
/** Largest armoured signature read (an RSA-16384 one is under 6 KiB). */
export const SIGNATURE_MAX_BYTES = 16 * 1024;

const fail = (problem: SignatureProblem, reason: string, key?: SshPublicKey): SignatureFailure =>
  key ? { ok: false, problem, reason, key } : { ok: false, problem, reason };

/**
 * The blob inside the armour: `-----BEGIN SSH SIGNATURE-----`, base64 in lines of one width (at
 * most 76; ssh-keygen writes 70), the END line, then a newline or nothing. Text is taken as bytes.
 */
export function dearmor(armored: string | Uint8Array): { ok: true; blob: Uint8Array } | SignatureFailure {
  if (armored.length > SIGNATURE_MAX_BYTES) {
    return fail('malformed', `expected a signature of at most ${SIGNATURE_MAX_BYTES} bytes, found ${armored.length}`);
  }
  const text = typeof armored === 'string' ? armored : Buffer.from(armored).toString('latin1');
  if (!text.startsWith(`${BEGIN}\n`)) {
    return fail(
      'malformed',
      `expected the signature to start with the line \`${BEGIN}\`, found ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const end = text.indexOf(`\n${END}`, BEGIN.length);
  if (end === -1) return fail('malformed', `expected the line \`${END}\` after the base64, found none`);
  const after = text.slice(end + 1 + END.length);
  if (after !== '' && after !== '\n')
    return fail('malformed', `expected nothing after \`${END}\`, found ${after.length} more bytes`);
  const lines = text.slice(BEGIN.length + 1, end).split('\n');
  const width = lines[0]!.length;
  for (const [i, line] of lines.entries()) {
    const last = i === lines.length - 1;
    if (
      line.length === 0 ||
      line.length > MAX_WRAP ||
      (!last && line.length !== width) ||
      (last && line.length > width)
    ) {
      const found = `a line of ${line.length} characters at line ${i + 2}`;
      return fail('malformed', `expected base64 in lines of one width (at most ${MAX_WRAP}), found ${found}`);
    }
  }
  const blob = decodeCanonicalBase64(lines.join(''));
  if (!blob)
    return fail(
      'malformed',
      'expected canonical base64 between the BEGIN and END lines, found other characters or bad padding',
    );
  return { ok: true, blob };
}

/** The armoured text of a signature blob, exactly as ssh-keygen writes it. */
export function armor(blob: Uint8Array): string {
  const b64 = Buffer.from(blob).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += WRAP) lines.push(b64.slice(i, i + WRAP));
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Parse an armoured SSHSIG strictly: armour, magic, version 1, key, namespace, empty reserved, hash, signature. */
export function parseSshSignature(armored: string | Uint8Array): ParsedSignature {
  const d = dearmor(armored);
  if (!d.ok) return d;
  try {
    return parseBlob(d.blob);
  } catch (e) {
    if (e instanceof WireError) return fail('malformed', e.message);
    throw e;
  }
}

function parseBlob(blob: Uint8Array): ParsedSignature {
  const r = new WireReader(blob, 'signature');
  const magic = r.raw(MAGIC.length, 'magic');
  if (Buffer.from(magic).toString('latin1') !== MAGIC) {
    throw new WireError(`signature: expected the magic \`${MAGIC}\` at the start of the blob`);
  }
  const version = r.u32('version');
  if (version !== 1) throw new WireError(`signature: expected SSHSIG version 1, found version ${version}`);
  const parsedKey = parsePublicKeyBlob(r.string('public key'));
  if (!parsedKey.ok) return fail(parsedKey.problem, parsedKey.reason);
  const key = parsedKey.key;
  const namespace = r.text('namespace');
  if (namespace === '') throw new WireError('signature: expected a namespace, found an empty one');
  if (r.string('reserved field').length !== 0)
    throw new WireError('signature: expected an empty reserved field, found data in it');
  const hashAlgorithm = r.text('hash algorithm');
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') {
    return fail(
      'unsupported',
      `expected the hash algorithm sha256 or sha512, found ${JSON.stringify(hashAlgorithm.slice(0, 40))}`,
      key,
    );
  }
  const inner = new WireReader(r.string('signature'), 'signature');
  r.end();
  const algorithm = inner.text('signature algorithm');
  const expected = key.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'] : [key.type];
  if (!expected.includes(algorithm)) {
    if (key.type === 'ssh-rsa' && algorithm === 'ssh-rsa') {
      return fail(
        'unsupported',
        'expected an rsa-sha2-256 or rsa-sha2-512 signature, found ssh-rsa (SHA-1), which SSHSIG forbids',
        key,
      );
    }
    if (algorithm.startsWith('webauthn-')) {
      return fail('unsupported', `expected a plain security key signature, found a WebAuthn one (${algorithm})`, key);
    }
    const found = JSON.stringify(algorithm.slice(0, 60));
    throw new WireError(
      `signature: expected a ${expected.join(' or ')} signature for a ${key.type} key, found ${found}`,
    );
  }
  let signature: Uint8Array;
  if (key.type === 'ssh-ed25519' || key.type === 'sk-ssh-ed25519@openssh.com') {
    signature = inner.string('Ed25519 signature');
    if (signature.length !== 64)
      throw new WireError(`signature: expected a 64-byte Ed25519 signature, found ${signature.length} bytes`);
  } else if (key.type === 'ssh-rsa') {
    signature = inner.string('RSA signature');
    const size = Math.ceil(key.bits / 8);
    if (signature.length !== size) {
      throw new WireError(
        `signature: expected an RSA signature of ${size} bytes (the modulus length), found ${signature.length}`,
      );
    }
  } else {
    signature = ecdsaSignature(inner.string('ECDSA signature'), Math.ceil(key.bits / 8));
  }
  const value: SshSignature = { key, namespace, hashAlgorithm, algorithm, signature };
  if (key.type.startsWith('sk-'))
    value.securityKey = { flags: inner.u8('security key flags'), counter: inner.u32('security key counter') };
  inner.end();
  return { ok: true, value };
}

/** ECDSA's `mpint r, mpint s` as the fixed-width r‖s node:crypto verifies (ieee-p1363). */
function ecdsaSignature(bytes: Uint8Array, size: number): Uint8Array {
  const r = new WireReader(bytes, 'ECDSA signature');
  const out = new Uint8Array(2 * size);
  for (const [i, name] of ['r', 's'].entries()) {
    const v = r.mpint(name);
    if (v.length === 0 || v.length > size) {
      throw new WireError(`signature: expected ECDSA ${name} of 1 to ${size} bytes, found ${v.length}`);
    }
    out.set(v, (i + 1) * size - v.length);
  }
  r.end();
  return out;
}

/** The bytes an SSHSIG signs: magic, namespace, reserved, hash algorithm and the message's hash. */
function signedData(namespace: string, hashAlgorithm: HashAlgorithm, message: Uint8Array): Uint8Array {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return new WireWriter().raw(MAGIC).string(namespace).string('').string(hashAlgorithm).string(digest).bytes();
}

/** What to verify a signature as. */
export interface VerifyOptions {
  /** The namespace the signature must be made for: `git` for commits, the server's own for receipts. */
  namespace: string;
  /** The key it must be made by; without it any well-formed key is reported back for the caller to judge. */
  key?: SshPublicKey;
  /** Security keys: require the user-presence flag (a touch), as sshd does by default. Default true. */
  requireUserPresence?: boolean;
}

/** Verify an armoured SSHSIG over a message. */
export function verifySshSignature(
  armored: string | Uint8Array,
  message: Uint8Array,
  options: VerifyOptions,
): SignatureCheck {
  const parsed = parseSshSignature(armored);
  if (!parsed.ok) return parsed;
  return verifyParsed(parsed.value, message, options);
}

/** Verify a parsed SSHSIG over a message. */
export function verifyParsed(sig: SshSignature, message: Uint8Array, options: VerifyOptions): SignatureCheck {
  const { key } = sig;
  if (sig.namespace !== options.namespace) {
    return fail(
      'wrong-namespace',
      `expected a signature for namespace "${options.namespace}", found one for ${JSON.stringify(sig.namespace.slice(0, 60))}`,
      key,
    );
  }
  if (options.key && !sameBytes(options.key.blob, key.blob)) {
    return fail(
      'key-mismatch',
      `expected a signature by key ${fingerprint(options.key)}, found one by ${fingerprint(key)}`,
      key,
    );
  }
  const data = signedData(sig.namespace, sig.hashAlgorithm, message);
  if (!checkCrypto(sig, data)) {
    return fail('bad-signature', `the signature by key ${fingerprint(key)} does not verify over this content`, key);
  }
  const ok: SignatureSuccess = { ok: true, key, namespace: sig.namespace, hashAlgorithm: sig.hashAlgorithm };
  if (sig.securityKey) {
    if ((options.requireUserPresence ?? true) && !(sig.securityKey.flags & 0x01)) {
      const flags = `0x${sig.securityKey.flags.toString(16).padStart(2, '0')}`;
      const reason = `expected the security key ${fingerprint(key)} to confirm a touch, found flags ${flags} without it`;
      return fail('no-user-presence', reason, key);
    }
    ok.securityKey = sig.securityKey;
  }
  return ok;
}

const ecdsaHash = { 256: 'sha256', 384: 'sha384', 521: 'sha512' } as const;

function checkCrypto(sig: SshSignature, data: Uint8Array): boolean {
  const { key } = sig;
  try {
    switch (key.type) {
      case 'ssh-ed25519':
        return cryptoVerify(null, data, key.keyObject, sig.signature);
      case 'ssh-rsa':
        return cryptoVerify(
          sig.algorithm === 'rsa-sha2-512' ? 'sha512' : 'sha256',
          data,
          { key: key.keyObject, padding: constants.RSA_PKCS1_PADDING },
          sig.signature,
        );
      case 'ecdsa-sha2-nistp256':
      case 'ecdsa-sha2-nistp384':
      case 'ecdsa-sha2-nistp521':
        return cryptoVerify(
          ecdsaHash[key.bits as 256 | 384 | 521],
          data,
          { key: key.keyObject, dsaEncoding: 'ieee-p1363' },
          sig.signature,
        );
      case 'sk-ssh-ed25519@openssh.com':
        return cryptoVerify(null, securityKeyData(sig, data), key.keyObject, sig.signature);
      case 'sk-ecdsa-sha2-nistp256@openssh.com':
        return cryptoVerify(
          'sha256',
          securityKeyData(sig, data),
          { key: key.keyObject, dsaEncoding: 'ieee-p1363' },
          sig.signature,
        );
    }
  } catch {
    return false; // node:crypto refuses some impossible values (r or s past the curve order) by throwing
  }
}

/** What a FIDO authenticator signs: H(application), flags, counter, H(data). */
function securityKeyData(sig: SshSignature, data: Uint8Array): Uint8Array {
  const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();
  const { flags, counter } = sig.securityKey!;
  return concatBytes([
    sha256(sig.key.application ?? ''),
    new WireWriter().u8(flags).u32(counter).bytes(),
    sha256(data),
  ]);
}

/** How to sign. */
export interface SignOptions {
  namespace: string;
  /** Default sha512, as ssh-keygen. */
  hashAlgorithm?: HashAlgorithm;
}

/** The public key of each private key signed with: a server signs every receipt with one key. */
const signersKeys = new WeakMap<KeyObject, ParsedKey>();

/** The SSH public key of a private key, derived once (a derivation is two key conversions). */
function signersKey(privateKey: KeyObject): ParsedKey {
  let key = signersKeys.get(privateKey);
  if (!key) signersKeys.set(privateKey, (key = publicKeyFromKeyObject(privateKey)));
  return key;
}

/**
 * Sign a message with an Ed25519 private key into an armoured SSHSIG, as `ssh-keygen -Y sign`
 * would. Throws InvalidInput for another kind of key or an empty namespace (a programming error).
 */
export function signSshSignature(message: Uint8Array, privateKey: KeyObject, options: SignOptions): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    const found = `${privateKey.type} ${privateKey.asymmetricKeyType ?? ''}`;
    throw new InvalidInput(`expected an Ed25519 private key to sign with, found a ${found} key`);
  }
  if (options.namespace === '' || options.namespace.includes('\0')) {
    throw new InvalidInput('expected a non-empty namespace without NUL bytes');
  }
  const hashAlgorithm = options.hashAlgorithm ?? 'sha512';
  const key = signersKey(privateKey);
  if (!key.ok) throw new InvalidInput(key.reason);
  const signature = cryptoSign(null, signedData(options.namespace, hashAlgorithm, message), privateKey);
  const blob = new WireWriter()
    .raw(MAGIC)
    .u32(1)
    .string(key.key.blob)
    .string(options.namespace)
    .string('')
    .string(hashAlgorithm)
    .string(new WireWriter().string('ssh-ed25519').string(signature).bytes())
    .bytes();
  return armor(blob);
}
