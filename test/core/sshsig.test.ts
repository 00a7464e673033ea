import t from 'tap';
import fc from 'fast-check';
import { constants, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import * as sshsig from '../../core/ssh/sshsig.js';
import { armor, dearmor, signSshSignature, verifySshSignature, type SignatureCheck } from '../../core/ssh/sshsig.js';
import { formatPublicKey, parsePublicKey, publicKeyFromKeyObject, type SshPublicKey } from '../../core/ssh/keys.js';
import { renderAllowedSigner } from '../../core/ssh/allowedSigners.js';
import { WireReader, WireWriter } from '../../core/ssh/wire.js';
import { InvalidInput } from '../../core/errors.js';
import { tempDir } from '../helpers/tmp.js';
import {
  keygen,
  keygenKinds,
  keygenSign,
  keygenVerify,
  readOpenSshEd25519,
  securityKeySign,
  softSecurityKey,
  sshsigBlob,
  sshsigSignedData,
} from '../helpers/ssh.js';

const RECEIPTS = 'receipt@ccr.invalid';
const text = (s: string) => new TextEncoder().encode(s);
const message = text('coordination:update: Added message to thread\n\nCare-Location: Ward 7\n');
const allowedLine = (key: SshPublicKey, principal = 'jane') =>
  renderAllowedSigner({ principal, key, namespaces: ['git', RECEIPTS] });

/** The same armour with the base64 in lines of the given widths (the rest in one last line). */
function rewrap(armored: string, widths: number[]): string {
  const lines = armored.trim().split('\n');
  let b64 = lines.slice(1, -1).join('');
  const out: string[] = [];
  for (const w of widths) {
    out.push(b64.slice(0, w));
    b64 = b64.slice(w);
  }
  if (b64) out.push(b64);
  return `${lines[0]}\n${out.join('\n')}\n${lines.at(-1)}\n`;
}

/** The fields of an SSHSIG blob, to rebuild it with one changed. */
function fields(armored: string) {
  const d = dearmor(armored);
  if (!d.ok) throw new Error(d.reason);
  const r = new WireReader(d.blob, 'test');
  r.raw(6, 'magic');
  return {
    version: r.u32('v'),
    key: r.string('key'),
    namespace: new TextDecoder().decode(r.string('ns')),
    reserved: r.string('reserved'),
    hash: new TextDecoder().decode(r.string('hash')),
    signature: r.string('sig'),
  };
}

t.test('exports the SSHSIG API', async (t) => {
  t.same(Object.keys(sshsig).sort(), [
    'GIT_NAMESPACE',
    'SIGNATURE_MAX_BYTES',
    'armor',
    'dearmor',
    'parseSshSignature',
    'signSshSignature',
    'verifyParsed',
    'verifySshSignature',
  ]);
});

t.test(
  'verifies what ssh-keygen signs, for every key type, hash and namespace, and only with the right key and namespace',
  async (t) => {
    const dir = tempDir(t);
    const other = keygen(dir, keygenKinds[0]);
    for (const kind of keygenKinds) {
      const k = keygen(dir, kind);
      for (const [hash, namespace] of [
        ['sha512', 'git'],
        ['sha256', RECEIPTS],
      ] as const) {
        const sig = keygenSign(dir, k.path, message, namespace, hash);
        t.ok(
          keygenVerify(dir, [allowedLine(k.key)], 'jane', namespace, sig, message),
          `${kind.name} ${hash}: ssh-keygen verifies its own signature`,
        );
        const ok = verifySshSignature(sig, message, { namespace, key: k.key });
        t.match(ok, { ok: true, namespace, hashAlgorithm: hash }, `${kind.name} ${hash} ${namespace}: verified`);
        t.match(
          verifySshSignature(sig, message, { namespace }),
          { ok: true, key: { type: k.key.type } },
          'without an expected key, the signing key is reported',
        );
        t.match(verifySshSignature(sig, message, { namespace: namespace === 'git' ? RECEIPTS : 'git' }), {
          ok: false,
          problem: 'wrong-namespace',
          reason: /expected a signature for namespace/,
        });
        t.match(verifySshSignature(sig, message, { namespace, key: other.key }), {
          ok: false,
          problem: 'key-mismatch',
          reason: /expected a signature by key SHA256:.*found one by SHA256:/,
        });
        t.match(verifySshSignature(sig, text('another message'), { namespace, key: k.key }), {
          ok: false,
          problem: 'bad-signature',
          key: { type: k.key.type },
        });
      }
    }
  },
);

t.test('signs with an Ed25519 key exactly as ssh-keygen does, and ssh-keygen verifies it', async (t) => {
  const dir = tempDir(t);
  const k = keygen(dir, keygenKinds[0]);
  const privateKey = readOpenSshEd25519(k.path);
  for (const hash of ['sha512', 'sha256'] as const) {
    for (const namespace of ['git', RECEIPTS]) {
      const ours = signSshSignature(message, privateKey, { namespace, hashAlgorithm: hash });
      t.equal(
        ours,
        keygenSign(dir, k.path, message, namespace, hash),
        `${hash} ${namespace}: byte for byte the signature ssh-keygen makes`,
      );
      t.ok(keygenVerify(dir, [allowedLine(k.key)], 'jane', namespace, ours, message), 'ssh-keygen verifies it');
      t.match(verifySshSignature(ours, message, { namespace, key: k.key }), { ok: true });
    }
  }
  const fresh = generateKeyPairSync('ed25519').privateKey;
  const key = publicKeyFromKeyObject(fresh);
  t.ok(key.ok);
  if (!key.ok) return;
  const sig = signSshSignature(message, fresh, { namespace: 'git' });
  t.ok(keygenVerify(dir, [allowedLine(key.key)], 'jane', 'git', sig, message), 'a key made by node:crypto');
  t.notOk(
    keygenVerify(dir, [allowedLine(key.key)], 'jane', 'git', sig, text('tampered')),
    'and not over other content',
  );
  t.throws(
    () =>
      signSshSignature(message, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, { namespace: 'git' }),
    InvalidInput,
  );
  t.throws(
    () => signSshSignature(message, generateKeyPairSync('ed25519').publicKey, { namespace: 'git' }),
    InvalidInput,
  );
  t.throws(() => signSshSignature(message, fresh, { namespace: '' }), InvalidInput);
});

t.test('refuses hostile and non-canonical signatures, and says where ssh-keygen is more lenient', async (t) => {
  const dir = tempDir(t);
  const k = keygen(dir, keygenKinds[0]);
  const sig = keygenSign(dir, k.path, message, 'git');
  const f = fields(sig);
  const allowed = [allowedLine(k.key)];
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKey = publicKeyFromKeyObject(rsa.privateKey);
  if (!rsaKey.ok) throw new Error(rsaKey.reason);
  const rsaSig = (
    alg: string,
    digest: string,
    body = cryptoSign(digest, sshsigSignedData('git', 'sha512', message), {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PADDING,
    }),
  ) =>
    armor(
      sshsigBlob({
        key: rsaKey.key.blob,
        namespace: 'git',
        hash: 'sha512',
        signature: new WireWriter().string(alg).string(body).bytes(),
      }),
    );
  let shortRsa = '';
  for (let i = 0; i < 4096 && !shortRsa; i++) {
    // an RSA signature whose first byte is zero, sent without it
    const m = text(`${i}`);
    const body = cryptoSign('sha512', sshsigSignedData('git', 'sha512', m), {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PADDING,
    });
    if (body[0] === 0)
      shortRsa = JSON.stringify([
        i,
        armor(
          sshsigBlob({
            key: rsaKey.key.blob,
            namespace: 'git',
            hash: 'sha512',
            signature: new WireWriter().string('rsa-sha2-512').string(body.subarray(1)).bytes(),
          }),
        ),
      ]);
  }
  const reblob = (change: Partial<typeof f>) => armor(sshsigBlob({ ...f, ...change }));
  // [signature, message, key, our problem, our reason, what ssh-keygen says]
  const cases: Record<string, [string, Uint8Array, SshPublicKey, string, RegExp, boolean]> = {
    'version 2': [reblob({ version: 2 }), message, k.key, 'malformed', /version 1, found version 2/, false],
    'version 0 (ssh-keygen accepts it)': [
      reblob({ version: 0 }),
      message,
      k.key,
      'malformed',
      /version 1, found version 0/,
      true,
    ],
    'data in the reserved field (ssh-keygen ignores it)': [
      reblob({ reserved: text('x') }),
      message,
      k.key,
      'malformed',
      /empty reserved field/,
      true,
    ],
    'an empty namespace': [reblob({ namespace: '' }), message, k.key, 'malformed', /found an empty one/, false],
    'hash sha1': [reblob({ hash: 'sha1' }), message, k.key, 'unsupported', /sha256 or sha512, found "sha1"/, false],
    'hash sha256 on a sha512 signature': [
      reblob({ hash: 'sha256' }),
      message,
      k.key,
      'bad-signature',
      /does not verify/,
      false,
    ],
    'bytes after the blob': [
      armor(new Uint8Array([...(dearmor(sig).ok ? (dearmor(sig) as { blob: Uint8Array }).blob : []), 0])),
      message,
      k.key,
      'malformed',
      /nothing after the last field/,
      false,
    ],
    'bytes after the signature': [
      reblob({ signature: new Uint8Array([...f.signature, 1]) }),
      message,
      k.key,
      'malformed',
      /nothing after the last field/,
      false,
    ],
    'another magic': [
      armor(
        new Uint8Array([
          ...text('SSHSIH'),
          ...(dearmor(sig).ok ? (dearmor(sig) as { blob: Uint8Array }).blob.subarray(6) : []),
        ]),
      ),
      message,
      k.key,
      'malformed',
      /magic/,
      false,
    ],
    'a signature of another key type': [
      reblob({ signature: new WireWriter().string('ssh-rsa').string(new Uint8Array(64)).bytes() }),
      message,
      k.key,
      'malformed',
      /expected a ssh-ed25519 signature/,
      false,
    ],
    'text after the END line (ssh-keygen ignores it)': [
      `${sig}trailing garbage\n`,
      message,
      k.key,
      'malformed',
      /nothing after/,
      true,
    ],
    'a second signature after the first (ssh-keygen reads the first)': [
      `${sig}${sig}`,
      message,
      k.key,
      'malformed',
      /nothing after/,
      true,
    ],
    'CRLF line ends': [sig.replaceAll('\n', '\r\n'), message, k.key, 'malformed', /start with the line/, false],
    'base64 wrapped at 76, as PROTOCOL.sshsig suggests': [rewrap(sig, [76, 76, 76]), message, k.key, 'ok', /./, true],
    'base64 wrapped at 77': [rewrap(sig, [77, 77, 77]), message, k.key, 'malformed', /at most 76/, true],
    'base64 lines of uneven width (ssh-keygen ignores line breaks)': [
      rewrap(sig, [70, 60]),
      message,
      k.key,
      'malformed',
      /one width/,
      true,
    ],
    'a blank line inside the base64 (ssh-keygen skips it)': [
      sig.replace(/\n(?=[A-Za-z0-9+/]{10})/, '\n\n'),
      message,
      k.key,
      'malformed',
      /one width/,
      true,
    ],
    'no END line': [
      sig.replace('-----END SSH SIGNATURE-----\n', ''),
      message,
      k.key,
      'malformed',
      /END SSH SIGNATURE/,
      false,
    ],
    'a PGP signature': [
      '-----BEGIN PGP SIGNATURE-----\n\niQ==\n-----END PGP SIGNATURE-----\n',
      message,
      k.key,
      'malformed',
      /start with the line/,
      false,
    ],
    'an RSA SHA-1 (ssh-rsa) signature': [
      rsaSig('ssh-rsa', 'sha1'),
      message,
      rsaKey.key,
      'unsupported',
      /ssh-rsa \(SHA-1\)/,
      false,
    ],
    'an rsa-sha2-256 signature': [rsaSig('rsa-sha2-256', 'sha256'), message, rsaKey.key, 'ok', /./, true],
    'an rsa-sha2-256 signature labelled rsa-sha2-512': [
      rsaSig('rsa-sha2-512', 'sha256'),
      message,
      rsaKey.key,
      'bad-signature',
      /does not verify/,
      false,
    ],
  };
  if (shortRsa) {
    const [i, s] = JSON.parse(shortRsa) as [number, string];
    cases['an RSA signature one byte short (ssh-keygen pads it)'] = [
      s,
      text(`${i}`),
      rsaKey.key,
      'malformed',
      /modulus length/,
      true,
    ];
  }
  for (const [name, [signature, msg, key, problem, reason, keygenSays]] of Object.entries(cases)) {
    const ours = verifySshSignature(signature, msg, { namespace: 'git', key });
    const label = ours.ok ? 'accepted' : `${ours.problem}: ${ours.reason}`;
    t.ok(
      problem === 'ok' ? ours.ok : !ours.ok && ours.problem === problem && reason.test(ours.reason),
      `${name}: ${label}`,
    );
    t.equal(
      keygenVerify(dir, key === k.key ? allowed : [allowedLine(key)], 'jane', 'git', signature, msg),
      keygenSays,
      `${name}: ssh-keygen ${keygenSays ? 'accepts' : 'refuses'}`,
    );
  }
});

t.test(
  'verifies security key (FIDO) signatures over flags and counter, and requires the touch flag by default',
  async (t) => {
    const dir = tempDir(t);
    for (const kind of ['ed25519', 'ecdsa'] as const) {
      const sk = softSecurityKey(kind);
      const parsed = publicKeyFromLine(sk.line);
      const allowed = [allowedLine(parsed)];
      const touched = securityKeySign(sk, message, 'git', 0x01, 42);
      t.ok(
        keygenVerify(dir, allowed, 'jane', 'git', touched, message),
        `${kind}: ssh-keygen accepts the signature made here`,
      );
      t.match(
        verifySshSignature(touched, message, { namespace: 'git', key: parsed }),
        { ok: true, securityKey: { flags: 1, counter: 42 } },
        `${kind}: verified, flags and counter reported`,
      );
      const noTouch = securityKeySign(sk, message, 'git', 0x00, 43);
      t.ok(
        keygenVerify(dir, allowed, 'jane', 'git', noTouch, message),
        `${kind}: ssh-keygen accepts a signature without the touch`,
      );
      t.match(verifySshSignature(noTouch, message, { namespace: 'git', key: parsed }), {
        ok: false,
        problem: 'no-user-presence',
        reason: /confirm a touch, found flags 0x00/,
      });
      t.match(verifySshSignature(noTouch, message, { namespace: 'git', key: parsed, requireUserPresence: false }), {
        ok: true,
        securityKey: { flags: 0 },
      });
      // The counter and flags are signed: changing them breaks the signature for both verifiers.
      const f = fields(touched);
      const inner = new WireReader(f.signature, 'test');
      const algorithm = inner.string('alg');
      const raw = inner.string('sig');
      const bumped = armor(
        sshsigBlob({ ...f, signature: new WireWriter().string(algorithm).string(raw).u8(1).u32(43).bytes() }),
      );
      t.notOk(
        keygenVerify(dir, allowed, 'jane', 'git', bumped, message),
        `${kind}: ssh-keygen refuses a changed counter`,
      );
      t.match(verifySshSignature(bumped, message, { namespace: 'git', key: parsed }), {
        ok: false,
        problem: 'bad-signature',
      });
      const otherApp = securityKeySign(sk, message, 'git', 0x01, 44, 'ssh:other');
      t.notOk(
        keygenVerify(dir, allowed, 'jane', 'git', otherApp, message),
        `${kind}: ssh-keygen refuses a signature for another application`,
      );
      t.match(verifySshSignature(otherApp, message, { namespace: 'git', key: parsed }), {
        ok: false,
        problem: 'bad-signature',
      });
      const webauthn = armor(
        sshsigBlob({
          ...f,
          signature: new WireWriter().string(`webauthn-${parsed.type}`).string(raw).u8(1).u32(1).bytes(),
        }),
      );
      t.match(verifySshSignature(webauthn, message, { namespace: 'git', key: parsed }), {
        ok: false,
        problem: 'unsupported',
        reason: /WebAuthn/,
      });
    }
  },
);

function publicKeyFromLine(line: string): SshPublicKey {
  const parsed = parsePublicKey(line);
  if (!parsed.ok) throw new Error(`cannot read ${line}: ${parsed.reason}`);
  return parsed.key;
}

t.test('never throws on hostile input: any bytes give a typed result', async (t) => {
  const k = publicKeyFromKeyObject(generateKeyPairSync('ed25519').privateKey);
  if (!k.ok) throw new Error(k.reason);
  const valid = signSshSignature(message, generateKeyPairSync('ed25519').privateKey, { namespace: 'git' });
  const blob = (dearmor(valid) as { blob: Uint8Array }).blob;
  const problems = new Set<string>();
  const record = (r: SignatureCheck) => {
    problems.add(r.ok ? 'ok' : r.problem);
    return typeof r.ok === 'boolean' && (r.ok || (typeof r.reason === 'string' && r.reason.length > 0));
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) =>
      record(verifySshSignature(armor(bytes), message, { namespace: 'git' })),
    ),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.nat(blob.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }), (at, junk) => {
      const mutated = Uint8Array.from(blob);
      mutated.set(junk.subarray(0, blob.length - at), at);
      return record(verifySshSignature(armor(mutated), message, { namespace: 'git', key: k.key }));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => record(verifySshSignature(s, message, { namespace: 'git' }))),
    { numRuns: 1000 },
  );
  t.ok(problems.has('malformed'), `problems seen: ${[...problems].join(', ')}`);
  t.match(verifySshSignature('x'.repeat(20_000), message, { namespace: 'git' }), {
    ok: false,
    problem: 'malformed',
    reason: /at most 16384 bytes/,
  });
  const badUtf8 = new WireWriter()
    .raw('SSHSIG')
    .u32(1)
    .string(k.key.blob)
    .string(Uint8Array.of(0x67, 0xff))
    .string('')
    .string('sha512')
    .string(new Uint8Array(10))
    .bytes();
  t.match(verifySshSignature(armor(badUtf8), message, { namespace: 'git' }), {
    ok: false,
    problem: 'malformed',
    reason: /namespace in UTF-8/,
  });
  t.equal(formatPublicKey(k.key).split(' ')[0], 'ssh-ed25519');
});
