// The site's own signing key on disk: an unencrypted Ed25519 key in OpenSSH's `openssh-key-v1`
// format (what `ssh-keygen -t ed25519 -N ''` writes), so an operator can use the same file with
// ssh-keygen and git. Only this one kind is read or written: the server never takes anyone
// else's private key, and its own needs no passphrase (the file is mode 0600 in the data folder).

import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { InvalidInput } from '../errors.js';
import { decodeCanonicalBase64, WireError, WireReader, WireWriter } from './wire.js';

const MAGIC = new TextEncoder().encode('openssh-key-v1\0');
const BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const END = '-----END OPENSSH PRIVATE KEY-----';
const WRAP = 70;

/** A new Ed25519 private key. */
export function newEd25519Key(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

function rawParts(key: KeyObject): { seed: Uint8Array; pub: Uint8Array } {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519')
    throw new InvalidInput('expected an Ed25519 private key');
  const jwk = key.export({ format: 'jwk' });
  return {
    seed: new Uint8Array(Buffer.from(jwk.d ?? '', 'base64url')),
    pub: new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url')),
  };
}

/** The key in OpenSSH's private key file format, unencrypted, as ssh-keygen writes it. */
export function formatOpenSshPrivateKey(key: KeyObject, comment = ''): string {
  const { seed, pub } = rawParts(key);
  const check = randomBytes(4).readUInt32BE(0);
  const pubBlob = new WireWriter().string('ssh-ed25519').string(pub).bytes();
  const inner = new WireWriter()
    .u32(check)
    .u32(check)
    .string('ssh-ed25519')
    .string(pub)
    .string(Buffer.concat([seed, pub]))
    .string(comment);
  let length = inner.bytes().length;
  for (let pad = 1; length % 8 !== 0; pad++, length++) inner.u8(pad);
  const blob = new WireWriter()
    .raw(MAGIC)
    .string('none')
    .string('none')
    .string('')
    .u32(1)
    .string(pubBlob)
    .string(inner.bytes())
    .bytes();
  const b64 = Buffer.from(blob).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += WRAP) lines.push(b64.slice(i, i + WRAP));
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** Read an unencrypted Ed25519 `openssh-key-v1` file. Throws InvalidInput saying what is wrong. */
export function parseOpenSshPrivateKey(text: string): KeyObject {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN || lines[lines.length - 1] !== END)
    throw new InvalidInput(`expected an OpenSSH private key file (${BEGIN})`);
  const blob = decodeCanonicalBase64(lines.slice(1, -1).join(''));
  if (!blob) throw new InvalidInput('expected base64 between the BEGIN and END lines of the private key');
  try {
    const r = new WireReader(blob, 'private key');
    const magic = r.raw(MAGIC.length, 'magic');
    if (Buffer.compare(magic, MAGIC) !== 0) throw new InvalidInput('expected openssh-key-v1');
    const cipher = r.text('cipher');
    r.text('kdf');
    r.string('kdf options');
    if (cipher !== 'none')
      throw new InvalidInput('expected an unencrypted key (no passphrase), found one encrypted with ' + cipher);
    if (r.u32('number of keys') !== 1) throw new InvalidInput('expected exactly one key in the file');
    r.string('public key');
    const inner = new WireReader(r.string('private section'), 'private section');
    if (inner.u32('check') !== inner.u32('check'))
      throw new InvalidInput('expected matching check numbers in the private section');
    const type = inner.text('key type');
    if (type !== 'ssh-ed25519') throw new InvalidInput(`expected an ssh-ed25519 key, found ${type}`);
    const pub = inner.string('public part');
    const secret = inner.string('secret part');
    if (pub.length !== 32 || secret.length !== 64)
      throw new InvalidInput('expected a 32-byte public and 64-byte secret Ed25519 key');
    return createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(secret.subarray(0, 32)).toString('base64url'),
        x: Buffer.from(pub).toString('base64url'),
      },
    });
  } catch (e) {
    if (e instanceof WireError) throw new InvalidInput(e.message);
    throw e;
  }
}
