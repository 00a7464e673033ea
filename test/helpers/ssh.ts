// The real ssh-keygen as the reference for SSH keys and signatures, and signatures CCR cannot make
// itself (security keys, other RSA hashes) built by hand with node:crypto for it to judge.

import { createHash, createPrivateKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WireReader, WireWriter, concatBytes } from '../../core/ssh/wire.js';
import { armor } from '../../core/ssh/sshsig.js';
import { parsePublicKey, type SshPublicKey } from '../../core/ssh/keys.js';

/** The key kinds ssh-keygen makes here, as `-t` and `-b`. */
export const keygenKinds = [
  { name: 'ed25519', t: 'ed25519', b: undefined },
  { name: 'rsa-2048', t: 'rsa', b: '2048' },
  { name: 'rsa-3072', t: 'rsa', b: '3072' },
  { name: 'ecdsa-256', t: 'ecdsa', b: '256' },
  { name: 'ecdsa-384', t: 'ecdsa', b: '384' },
  { name: 'ecdsa-521', t: 'ecdsa', b: '521' },
] as const;

/** A key pair made by ssh-keygen: the private key file, the public key line, the parsed key. */
export interface KeygenKey {
  path: string;
  line: string;
  key: SshPublicKey;
}

/** Make a key with ssh-keygen in `dir` (no passphrase). */
export function keygen(
  dir: string,
  kind: { name: string; t: string; b: string | undefined },
  comment = `${kind.name}@ccr.test`,
): KeygenKey {
  const path = join(dir, `id_${kind.name}_${Math.random().toString(36).slice(2, 8)}`);
  execFileSync(
    'ssh-keygen',
    ['-q', '-t', kind.t, ...(kind.b ? ['-b', kind.b] : []), '-N', '', '-C', comment, '-f', path],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const line = readFileSync(`${path}.pub`, 'utf8');
  const parsed = parsePublicKey(line);
  if (!parsed.ok) throw new Error(`ssh-keygen made a key CCR cannot read: ${parsed.reason}`);
  return { path, line: line.trim(), key: parsed.key };
}

/** Sign a message with `ssh-keygen -Y sign`; gives the armoured signature. */
export function keygenSign(
  dir: string,
  keyPath: string,
  message: Uint8Array,
  namespace: string,
  hash: 'sha256' | 'sha512' = 'sha512',
): string {
  const work = mkdtempSync(join(dir, 'sign-'));
  try {
    writeFileSync(join(work, 'm'), message);
    execFileSync(
      'ssh-keygen',
      ['-Y', 'sign', '-n', namespace, '-f', keyPath, '-O', `hashalg=${hash}`, join(work, 'm')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return readFileSync(join(work, 'm.sig'), 'utf8');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `ssh-keygen -Y verify` of a signature over a message, as `principal` of an allowed signers file
 * holding `allowed` (lines); true when it says "Good".
 */
export function keygenVerify(
  dir: string,
  allowed: string[],
  principal: string,
  namespace: string,
  signature: string | Uint8Array,
  message: Uint8Array,
): boolean {
  const work = mkdtempSync(join(dir, 'verify-'));
  try {
    writeFileSync(join(work, 'allowed'), allowed.map((l) => `${l}\n`).join(''));
    writeFileSync(join(work, 's'), signature);
    const r = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-n', namespace, '-f', join(work, 'allowed'), '-I', principal, '-s', join(work, 's')],
      { input: message, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status === null) throw new Error(`ssh-keygen -Y verify did not finish: ${r.error?.message ?? r.signal}`);
    return r.status === 0 && r.stdout.startsWith(`Good "${namespace}" signature`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The `ssh-keygen -lf` line of a public key line. */
export function keygenFingerprint(dir: string, line: string): string {
  const path = join(mkdtempSync(join(dir, 'fp-')), 'k.pub');
  writeFileSync(path, `${line}\n`);
  return execFileSync('ssh-keygen', ['-lf', path], { encoding: 'utf8' }).trim();
}

/** The public key blob of a node:crypto key in SSH's security key form (sk-ssh-ed25519 / sk-ecdsa P-256). */
export function securityKeyBlob(publicKey: KeyObject, application: string): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  if (jwk.kty === 'OKP')
    return new WireWriter().string('sk-ssh-ed25519@openssh.com').string(b(jwk.x)).string(application).bytes();
  const point = concatBytes([Uint8Array.of(4), b(jwk.x), b(jwk.y)]);
  return new WireWriter()
    .string('sk-ecdsa-sha2-nistp256@openssh.com')
    .string('nistp256')
    .string(point)
    .string(application)
    .bytes();
}

/** A security key pair emulated in software: what a FIDO authenticator would hold. */
export function softSecurityKey(
  kind: 'ed25519' | 'ecdsa',
  application = 'ssh:',
): { privateKey: KeyObject; blob: Uint8Array; line: string } {
  const { privateKey, publicKey } =
    kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const blob = securityKeyBlob(publicKey, application);
  const type = kind === 'ed25519' ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';
  return { privateKey, blob, line: `${type} ${Buffer.from(blob).toString('base64')}` };
}

const sha = (alg: string, b: Uint8Array | string) => createHash(alg).update(b).digest();

/** The data an SSHSIG signs (built here independently of core/ssh). */
export function sshsigSignedData(namespace: string, hash: 'sha256' | 'sha512', message: Uint8Array): Uint8Array {
  return new WireWriter().raw('SSHSIG').string(namespace).string('').string(hash).string(sha(hash, message)).bytes();
}

/** An SSHSIG blob from its fields, with any values (the tests' hostile ones too). */
export function sshsigBlob(fields: {
  version?: number;
  key: Uint8Array;
  namespace: string;
  reserved?: Uint8Array;
  hash: string;
  signature: Uint8Array;
}): Uint8Array {
  return new WireWriter()
    .raw('SSHSIG')
    .u32(fields.version ?? 1)
    .string(fields.key)
    .string(fields.namespace)
    .string(fields.reserved ?? new Uint8Array())
    .string(fields.hash)
    .string(fields.signature)
    .bytes();
}

/** An SSHSIG made by a software security key with chosen flags and counter. */
export function securityKeySign(
  sk: { privateKey: KeyObject; blob: Uint8Array },
  message: Uint8Array,
  namespace: string,
  flags: number,
  counter: number,
  application = 'ssh:',
): string {
  const data = sshsigSignedData(namespace, 'sha512', message);
  const signed = concatBytes([
    sha('sha256', application),
    new WireWriter().u8(flags).u32(counter).bytes(),
    sha('sha256', data),
  ]);
  const ed = sk.privateKey.asymmetricKeyType === 'ed25519';
  const raw = ed
    ? cryptoSign(null, signed, sk.privateKey)
    : cryptoSign('sha256', signed, { key: sk.privateKey, dsaEncoding: 'ieee-p1363' });
  const sigBytes = ed ? raw : new WireWriter().mpint(raw.subarray(0, 32)).mpint(raw.subarray(32)).bytes();
  const type = ed ? 'sk-ssh-ed25519@openssh.com' : 'sk-ecdsa-sha2-nistp256@openssh.com';
  const signature = new WireWriter().string(type).string(sigBytes).u8(flags).u32(counter).bytes();
  return armor(sshsigBlob({ key: sk.blob, namespace, hash: 'sha512', signature }));
}

/**
 * The node:crypto private key of an unencrypted OpenSSH Ed25519 key file (`openssh-key-v1`), so a
 * test can sign with the very key ssh-keygen signs with (Ed25519 signatures are deterministic).
 */
export function readOpenSshEd25519(path: string): KeyObject {
  const text = readFileSync(path, 'utf8')
    .replace(/-----[A-Z ]+-----/g, '')
    .replace(/\s+/g, '');
  const bytes = Buffer.from(text, 'base64');
  const magic = 'openssh-key-v1\0';
  if (bytes.subarray(0, magic.length).toString('latin1') !== magic)
    throw new Error(`${path} is not an OpenSSH private key`);
  const r = new WireReader(bytes.subarray(magic.length), 'private key file');
  if (r.text('cipher') !== 'none' || r.text('kdf') !== 'none') throw new Error(`${path} is encrypted`);
  r.string('kdf options');
  if (r.u32('key count') !== 1) throw new Error(`${path} holds several keys`);
  r.string('public key');
  const p = new WireReader(r.string('private section'), 'private section');
  p.u32('check');
  p.u32('check');
  if (p.text('type') !== 'ssh-ed25519') throw new Error(`${path} is not an Ed25519 key`);
  const pub = p.string('public');
  const priv = p.string('private'); // seed ‖ public
  return createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: Buffer.from(pub).toString('base64url'),
      d: Buffer.from(priv.subarray(0, 32)).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The proof a principal sends with a key it registers for itself: ssh-keygen's signature of its name. */
export function keyProof(dir: string, key: KeygenKey, name: string): string {
  return keygenSign(dir, key.path, new TextEncoder().encode(`ccr key registration: ${name}\n`), 'ccr-key-registration');
}
