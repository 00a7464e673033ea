import t from 'tap';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as keys from '../../core/ssh/keys.js';
import {
  describeKey,
  fingerprint,
  formatPublicKey,
  parsePublicKey,
  parsePublicKeyBlob,
  publicKeyFromKeyObject,
  sameKey,
} from '../../core/ssh/keys.js';
import { WireWriter } from '../../core/ssh/wire.js';
import { tempDir } from '../helpers/tmp.js';
import { keygen, keygenFingerprint, keygenKinds, softSecurityKey } from '../helpers/ssh.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

t.test('exports the key API', async (t) => {
  t.same(Object.keys(keys).sort(), [
    'COMMENT_MAX',
    'RSA_MAX_BITS',
    'RSA_MIN_BITS',
    'describeKey',
    'fingerprint',
    'formatPublicKey',
    'isKeyType',
    'keyTypes',
    'parsePublicKey',
    'parsePublicKeyBlob',
    'publicKeyFromKeyObject',
    'sameKey',
  ]);
});

t.test(
  'reads every key type ssh-keygen makes, with the fingerprint and description `ssh-keygen -lf` prints',
  async (t) => {
    const dir = tempDir(t);
    for (const kind of keygenKinds) {
      const k = keygen(dir, kind, `${kind.name} key of Dr Jane Smith`);
      t.equal(describeKey(k.key), keygenFingerprint(dir, k.line), `${kind.name}: description`);
      t.equal(fingerprint(k.key), keygenFingerprint(dir, k.line).split(' ')[1], `${kind.name}: fingerprint`);
      t.equal(formatPublicKey(k.key, true), k.line, `${kind.name}: the text form round-trips with its comment`);
      t.equal(
        formatPublicKey(k.key),
        k.line.split(' ').slice(0, 2).join(' '),
        `${kind.name}: canonical form without the comment`,
      );
    }
    const bare = keygen(dir, keygenKinds[0]);
    const noComment = formatPublicKey(bare.key);
    t.equal(
      describeKey(
        parsePublicKey(noComment).ok ? (parsePublicKey(noComment) as { key: keys.SshPublicKey }).key : bare.key,
      ),
      keygenFingerprint(dir, noComment),
      'no comment',
    );
  },
);

t.test('reads security key (FIDO) public keys as ssh-keygen does', async (t) => {
  const dir = tempDir(t);
  for (const kind of ['ed25519', 'ecdsa'] as const) {
    const sk = softSecurityKey(kind);
    const parsed = parsePublicKey(`${sk.line} yubikey`);
    t.ok(parsed.ok, kind);
    if (!parsed.ok) continue;
    t.equal(parsed.key.application, 'ssh:');
    t.equal(describeKey(parsed.key), keygenFingerprint(dir, `${sk.line} yubikey`), `${kind}: as ssh-keygen -lf`);
  }
});

t.test('gives the SSH public key of a node:crypto key, the same as ssh-keygen converts it', async (t) => {
  const dir = tempDir(t);
  for (const [name, pair] of [
    ['rsa', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ec P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ec P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['ec P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' })],
  ] as const) {
    const pem = join(dir, `${name.replace(' ', '-')}.pem`);
    writeFileSync(pem, pair.publicKey.export({ format: 'pem', type: 'spki' }));
    const converted = execFileSync('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', pem], { encoding: 'utf8' }).trim();
    const ours = publicKeyFromKeyObject(pair.privateKey);
    t.ok(ours.ok && formatPublicKey(ours.key) === converted, `${name}: ${converted.slice(0, 40)}…`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const fromPrivate = publicKeyFromKeyObject(privateKey, 'site key');
  const fromPublic = publicKeyFromKeyObject(publicKey);
  t.ok(
    fromPrivate.ok &&
      fromPublic.ok &&
      sameKey(fromPrivate.key, fromPublic.key) &&
      fromPrivate.key.comment === 'site key',
  );
  t.match(publicKeyFromKeyObject(generateKeyPairSync('x25519').publicKey), { ok: false, problem: 'unsupported' });
});

t.test('refuses key lines that are not one well-formed key of an accepted type, saying why', async (t) => {
  const dir = tempDir(t);
  const ed = keygen(dir, keygenKinds[0]);
  const [type, body] = ed.line.split(' ') as [string, string];
  const blob = Buffer.from(body, 'base64');
  const rsaBlob = (e: Uint8Array, n: Uint8Array) => new WireWriter().string('ssh-rsa').string(e).string(n).bytes();
  const short = b64(blob.subarray(0, 50)); // 50 bytes: one padding character, two spare bits
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const spareBits = (s: string) => `${s.slice(0, -2)}${alphabet[alphabet.indexOf(s.at(-2)!) | 1]}=`;
  const n2048 = Buffer.alloc(257, 0xff);
  n2048[0] = 0;
  const cases: Record<string, [string, 'malformed' | 'unsupported', RegExp]> = {
    'an authorized_keys option first': [`no-pty ${ed.line}`, 'malformed', /key type first, found "no-pty"/],
    'two spaces': [`${type}  ${body}`, 'malformed', /single spaces/],
    'a tab': [`${type}\t${body}`, 'malformed', /single spaces/],
    'two keys on two lines': [`${ed.line}\n${ed.line}`, 'malformed', /several lines/],
    'a control character in the comment': [`${type} ${body} a\u0007b`, 'malformed', /shape/],
    'base64 with a bad character': [`${type} ${body.slice(0, -2)}*=`, 'malformed', /shape|base64/],
    'base64 without its padding': [`${type} ${short.replace(/=+$/, '')}`, 'malformed', /canonical base64/],
    'base64 with spare bits set': [`${type} ${spareBits(short)}`, 'malformed', /canonical base64/],
    'the wrong type on the line': [
      `ecdsa-sha2-nistp256 ${body}`,
      'malformed',
      /expected the key inside to be ecdsa-sha2-nistp256/,
    ],
    'trailing bytes in the blob': [
      `${type} ${b64(Buffer.concat([blob, Buffer.of(0)]))}`,
      'malformed',
      /nothing after the last field/,
    ],
    'a truncated blob': [`${type} ${b64(blob.subarray(0, blob.length - 3))}`, 'malformed', /claims|expected/],
    'a 31-byte Ed25519 key': [
      `${type} ${b64(new WireWriter().string('ssh-ed25519').string(new Uint8Array(31)).bytes())}`,
      'malformed',
      /32-byte/,
    ],
    'a DSA key': [`ssh-dss ${b64(new WireWriter().string('ssh-dss').bytes())}`, 'unsupported', /DSA/],
    'a certificate': [`ssh-ed25519-cert-v01@openssh.com ${body}`, 'unsupported', /certificate/],
    'an RSA key of 1024 bits': [
      `ssh-rsa ${b64(rsaBlob(Uint8Array.of(1, 0, 1), Buffer.concat([Buffer.of(0), Buffer.alloc(128, 0xff)])))}`,
      'unsupported',
      /2048 to 16384 bits, found 1024/,
    ],
    'an RSA modulus with a needless zero byte': [
      `ssh-rsa ${b64(rsaBlob(Uint8Array.of(1, 0, 1), Buffer.concat([Buffer.of(0), n2048])))}`,
      'malformed',
      /shortest form/,
    ],
    'a negative RSA modulus': [
      `ssh-rsa ${b64(rsaBlob(Uint8Array.of(1, 0, 1), n2048.subarray(1)))}`,
      'malformed',
      /positive/,
    ],
    'an even RSA exponent': [`ssh-rsa ${b64(rsaBlob(Uint8Array.of(1, 0, 0), n2048))}`, 'malformed', /odd/],
    'an ECDSA point off the curve': [
      `ecdsa-sha2-nistp256 ${b64(
        new WireWriter()
          .string('ecdsa-sha2-nistp256')
          .string('nistp256')
          .string(Uint8Array.of(4, ...new Uint8Array(64).fill(7)))
          .bytes(),
      )}`,
      'malformed',
      /not a valid key/,
    ],
    'a compressed ECDSA point': [
      `ecdsa-sha2-nistp256 ${b64(
        new WireWriter()
          .string('ecdsa-sha2-nistp256')
          .string('nistp256')
          .string(Uint8Array.of(2, ...new Uint8Array(32).fill(7)))
          .bytes(),
      )}`,
      'malformed',
      /uncompressed/,
    ],
    'an ECDSA key naming another curve': [
      `ecdsa-sha2-nistp256 ${b64(new WireWriter().string('ecdsa-sha2-nistp256').string('nistp384').string(new Uint8Array(97)).bytes())}`,
      'malformed',
      /expected curve nistp256/,
    ],
    'an over-long comment': [
      `${ed.line.split(' ').slice(0, 2).join(' ')} ${'x'.repeat(1025)}`,
      'malformed',
      /at most 1024/,
    ],
    nothing: ['', 'malformed', /shape/],
  };
  for (const [name, [line, problem, reason]] of Object.entries(cases)) {
    const parsed = parsePublicKey(line);
    t.ok(
      !parsed.ok && parsed.problem === problem && reason.test(parsed.reason),
      `${name}: ${parsed.ok ? 'accepted' : `${parsed.problem}: ${parsed.reason}`}`,
    );
  }
  t.ok(parsePublicKey(`  ${ed.line}\r\n`).ok, 'surrounding whitespace (a pasted newline) is ignored');
  t.match(parsePublicKeyBlob(new Uint8Array([0, 0, 0, 9, 1])), { ok: false, problem: 'malformed' });
});
