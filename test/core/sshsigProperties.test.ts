// Property tests: CCR's SSHSIG verifier agrees with `ssh-keygen -Y verify` on signatures that
// `ssh-keygen -Y sign` made over random messages, intact and damaged every way an attacker or a
// transport could (bit flips in the armour or the blob, truncation, trailing bytes, another
// namespace, key, hash or message, broken armour). Each run starts two ssh-keygen processes, so
// the default is a modest count; CCR_SSH_RUNS raises it.

import t from 'tap';
import fc from 'fast-check';
import { armor, dearmor, verifySshSignature, type SignatureCheck } from '../../core/ssh/sshsig.js';
import { renderAllowedSigner } from '../../core/ssh/allowedSigners.js';
import { tempDir } from '../helpers/tmp.js';
import { keygen, keygenKinds, keygenSign, keygenVerify, type KeygenKey } from '../helpers/ssh.js';

const runs = Number(process.env['CCR_SSH_RUNS'] ?? 150);

type Mutation =
  | { kind: 'none' }
  | { kind: 'armour-bit' | 'blob-bit'; at: number; bit: number }
  | { kind: 'truncate-blob' | 'truncate-armour'; by: number }
  | { kind: 'text-after-end' | 'bytes-after-blob'; bytes: Uint8Array }
  | { kind: 'wrong-namespace' | 'wrong-key' | 'swap-hash' }
  | { kind: 'message-changed'; at: number }
  | { kind: 'bad-armour'; how: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('armour-bit' as const, 'blob-bit' as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('truncate-blob' as const, 'truncate-armour' as const),
      by: fc.integer({ min: 1, max: 400 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('text-after-end' as const, 'bytes-after-blob' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('wrong-namespace' as const, 'wrong-key' as const, 'swap-hash' as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('message-changed' as const), at: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('bad-armour' as const), how: fc.integer({ min: 0, max: 4 }) }),
    weight: 2,
  },
);

/** Where ssh-keygen is knowingly more lenient than CCR (docs/decisions.md): the only allowed disagreement. */
const LENIENCY =
  /version 1, found version 0|empty reserved field|nothing after `-----END|one width|canonical base64|modulus length/;
/** What CCR must answer for the mutations whose effect is known. */
const expectedProblem: Partial<Record<Mutation['kind'], string>> = {
  'wrong-namespace': 'wrong-namespace',
  'wrong-key': 'key-mismatch',
  'swap-hash': 'bad-signature',
  'message-changed': 'bad-signature',
};

function apply(m: Mutation, sig: string, message: Uint8Array): { sig: string | Uint8Array; message: Uint8Array } {
  const blob = (dearmor(sig) as { blob: Uint8Array }).blob;
  const bytes = new TextEncoder().encode(sig);
  switch (m.kind) {
    case 'none':
    case 'wrong-namespace':
    case 'wrong-key':
      return { sig, message };
    case 'armour-bit': {
      const out = Uint8Array.from(bytes);
      out[m.at % out.length]! ^= 1 << m.bit;
      return { sig: out, message };
    }
    case 'blob-bit': {
      const out = Uint8Array.from(blob);
      out[m.at % out.length]! ^= 1 << m.bit;
      return { sig: armor(out), message };
    }
    case 'truncate-blob':
      return { sig: armor(blob.subarray(0, Math.max(1, blob.length - m.by))), message };
    case 'truncate-armour':
      return { sig: bytes.subarray(0, Math.max(1, bytes.length - m.by)), message };
    case 'text-after-end':
      return { sig: new Uint8Array([...bytes, ...m.bytes]), message };
    case 'bytes-after-blob':
      return { sig: armor(new Uint8Array([...blob, ...m.bytes])), message };
    case 'swap-hash':
      return { sig: armor(swapHash(blob)), message };
    case 'message-changed': {
      const out = new Uint8Array([...message, 0x0a]);
      out[m.at % out.length]! ^= 0x01;
      return { sig, message: out };
    }
    case 'bad-armour':
      return {
        sig: [
          sig.replace('BEGIN SSH', 'BEGIN ssh'),
          sig.replaceAll('\n', '\r\n'),
          sig.replace('\n-----END', '-----END'),
          sig.replace(/\n([A-Za-z0-9+/]{20})/, '\n$1 '),
          sig.slice(sig.indexOf('\n') + 1),
        ][m.how]!,
        message,
      };
  }
}

/** The blob with its hash algorithm name changed between sha512 and sha256 (same length). */
function swapHash(blob: Uint8Array): Uint8Array {
  const text = Buffer.from(blob).toString('latin1');
  const at = text.search(/\0\0\0\x06sha(512|256)/);
  const out = Uint8Array.from(blob);
  out.set(new TextEncoder().encode(text.slice(at + 4, at + 10) === 'sha512' ? 'sha256' : 'sha512'), at + 4);
  return out;
}

t.test('agrees with ssh-keygen -Y verify on signatures ssh-keygen made, intact and damaged', async (t) => {
  const dir = tempDir(t);
  const kinds = [keygenKinds[0], keygenKinds[1], keygenKinds[3], keygenKinds[5]];
  const keys: KeygenKey[] = kinds.map((k) => keygen(dir, k));
  const stranger = keygen(dir, keygenKinds[0]);
  const allowed = (k: KeygenKey) => [
    renderAllowedSigner({ principal: 'jane', key: k.key, namespaces: ['git', 'file'] }),
  ];
  const tally = new Map<string, number>();
  const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.nat(keys.length - 1),
      fc.constantFrom('sha256' as const, 'sha512' as const),
      mutation,
      (message, ki, hash, m) => {
        const signer = keys[ki]!;
        const sig = keygenSign(dir, signer.path, message, 'git', hash);
        const damaged = apply(m, sig, message);
        const namespace = m.kind === 'wrong-namespace' ? 'file' : 'git';
        const verifier = m.kind === 'wrong-key' ? stranger : signer;
        const reference = keygenVerify(dir, allowed(verifier), 'jane', namespace, damaged.sig, damaged.message);
        const ours: SignatureCheck = verifySshSignature(damaged.sig, damaged.message, { namespace, key: verifier.key });
        count(
          `${m.kind}: ${ours.ok ? 'accepted' : ours.problem}${reference === ours.ok ? '' : ` (ssh-keygen ${reference ? 'accepts' : 'refuses'})`}`,
        );
        if (ours.ok && !reference) return false; // never accept what the reference refuses
        if (!ours.ok && reference && !(ours.problem === 'malformed' && LENIENCY.test(ours.reason))) return false;
        if (m.kind === 'none' && !ours.ok) return false;
        const expected = expectedProblem[m.kind];
        return !expected || (!ours.ok && ours.problem === expected);
      },
    ),
    { numRuns: runs },
  );
  const summary = [...tally].sort().map(([k, n]) => `${k}: ${n}`);
  t.comment(summary.join('\n'));
  const accepted = [...tally].filter(([k]) => k.endsWith('accepted')).reduce((n, [, c]) => n + c, 0);
  t.ok(accepted >= runs * 0.05, `a fair share of the runs verify (${accepted} of ${runs})`);
  t.ok(
    [...tally.keys()].some((k) => k.includes('malformed')) &&
      [...tally.keys()].some((k) => k.includes('bad-signature')),
    'damage reached both the parser and the signature check',
  );
});
