import t from 'tap';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as allowedSigners from '../../core/ssh/allowedSigners.js';
import {
  allowsAt,
  formatSshTime,
  parseAllowedSigners,
  parseSshTime,
  renderAllowedSigner,
  windowSeconds,
  type AllowedSigner,
} from '../../core/ssh/allowedSigners.js';
import { formatPublicKey, publicKeyFromKeyObject, type SshPublicKey } from '../../core/ssh/keys.js';
import { InvalidInput } from '../../core/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { keygen, keygenKinds, keygenSign } from '../helpers/ssh.js';

const text = (s: string) => new TextEncoder().encode(s);
const freshKey = (): SshPublicKey => {
  const k = publicKeyFromKeyObject(generateKeyPairSync('ed25519').privateKey);
  if (!k.ok) throw new Error(k.reason);
  return k.key;
};

/** `ssh-keygen -Y verify` of a signature with an allowed signers file, at a time (seconds, given in UTC). */
function keygenVerifyAt(
  dir: string,
  lines: string[],
  principal: string,
  namespace: string,
  sig: string,
  message: Uint8Array,
  at?: number,
): boolean {
  writeFileSync(join(dir, 'allowed'), lines.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'sig'), sig);
  const time = at === undefined ? [] : [`-Overify-time=${formatSshTime(at)}`];
  const r = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-n', namespace, '-f', join(dir, 'allowed'), '-I', principal, '-s', join(dir, 'sig'), ...time],
    { input: message, encoding: 'utf8', timeout: 60_000 },
  );
  return r.status === 0;
}

t.test('exports the allowed signers API', async (t) => {
  t.same(Object.keys(allowedSigners).sort(), [
    'allowsAt',
    'formatSshTime',
    'parseAllowedSigners',
    'parseSshTime',
    'renderAllowedSigner',
    'windowSeconds',
  ]);
});

t.test('renders lines ssh-keygen accepts for every key type, namespaces="git" by default', async (t) => {
  const dir = tempDir(t);
  const message = text('payload');
  for (const kind of keygenKinds) {
    const k = keygen(dir, kind);
    const line = renderAllowedSigner({ principal: 'jane.smith', key: k.key });
    t.equal(line, `jane.smith namespaces="git" ${formatPublicKey(k.key)}`, `${kind.name}: the line`);
    const sig = keygenSign(dir, k.path, message, 'git');
    t.ok(keygenVerifyAt(dir, [line], 'jane.smith', 'git', sig, message), `${kind.name}: ssh-keygen verifies with it`);
    t.notOk(
      keygenVerifyAt(dir, [line], 'jane.smith', 'file', keygenSign(dir, k.path, message, 'file'), message),
      `${kind.name}: and not for another namespace`,
    );
  }
  const k = keygen(dir, keygenKinds[0]);
  const receipts = renderAllowedSigner({ principal: 'site-a', key: k.key, namespaces: ['git', 'receipt@ccr.invalid'] });
  t.match(receipts, /^site-a namespaces="git,receipt@ccr.invalid" ssh-ed25519 /);
  t.ok(
    keygenVerifyAt(
      dir,
      [receipts],
      'site-a',
      'receipt@ccr.invalid',
      keygenSign(dir, k.path, message, 'receipt@ccr.invalid'),
      message,
    ),
    'several namespaces',
  );
});

t.test('validity windows in UTC mean to the second what ssh-keygen takes them to mean', async (t) => {
  const dir = tempDir(t);
  const k = keygen(dir, keygenKinds[0]);
  const message = text('payload');
  const sig = keygenSign(dir, k.path, message, 'git');
  const start = 1767225600;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 86_400 * 400 }),
      fc.integer({ min: 1, max: 86_400 * 400 }),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom('after', 'before', 'both'),
      (offset, length, nudge, which) => {
        const entry: AllowedSigner = { principal: 'jane', key: k.key };
        if (which !== 'before') entry.validAfter = start + offset;
        if (which !== 'after') entry.validBefore = start + offset + length;
        const edge =
          which === 'before'
            ? entry.validBefore!
            : nudge < 0 || which === 'after'
              ? entry.validAfter!
              : entry.validBefore!;
        const at = edge + nudge;
        return (
          keygenVerifyAt(dir, [renderAllowedSigner(entry)], 'jane', 'git', sig, message, at) ===
          allowsAt(entry, 'git', at)
        );
      },
    ),
    { numRuns: 40 },
  );
  t.pass('ssh-keygen -Y verify -Overify-time agrees with allowsAt at and around the edges');
});

t.test('formats and reads ssh-keygen times, and rounds a window inwards', async (t) => {
  t.equal(formatSshTime(1), '19700101000001Z');
  t.equal(formatSshTime(1767225600), '20260101000000Z');
  t.equal(parseSshTime('20260101000000Z'), 1767225600);
  for (const bad of [
    '20260230000000Z',
    '20260101000000',
    '2026010100000Z',
    '19700101000000Z',
    '20261301000000Z',
    '20260101240000Z',
  ])
    t.equal(parseSshTime(bad), null, bad);
  t.throws(() => formatSshTime(0), InvalidInput, 'ssh-keygen reads a zero time as invalid');
  t.throws(() => formatSshTime(1.5), InvalidInput);
  fc.assert(fc.property(fc.integer({ min: 1, max: 253402300799 }), (s) => parseSshTime(formatSshTime(s)) === s));
  t.same(windowSeconds(new Date('2026-01-01T00:00:00.001Z'), new Date('2026-02-01T00:00:00.999Z')), {
    validAfter: 1767225601,
    validBefore: 1769904000,
  });
  t.same(windowSeconds(), {});
});

t.test('refuses to render what ssh-keygen would misread, since one bad line stops it reading the file', async (t) => {
  const key = freshKey();
  for (const principal of [
    '',
    'jane smith',
    'jane,mallory',
    'j*',
    '!jane',
    '"jane"',
    '#jane',
    'jane\n',
    'x'.repeat(257),
  ]) {
    t.throws(() => renderAllowedSigner({ principal, key }), InvalidInput, JSON.stringify(principal.slice(0, 20)));
  }
  t.throws(() => renderAllowedSigner({ principal: 'jane', key, namespaces: [] }), InvalidInput, 'no namespaces');
  t.throws(
    () => renderAllowedSigner({ principal: 'jane', key, namespaces: ['git,file'] }),
    InvalidInput,
    'a comma in a namespace',
  );
  t.throws(
    () => renderAllowedSigner({ principal: 'jane', key, validAfter: 100, validBefore: 100 }),
    InvalidInput,
    'an empty window',
  );
});

t.test('reads back what it renders, and refuses the rest of the format with a line number', async (t) => {
  const keys = [freshKey(), freshKey()];
  const entry = fc
    .record({
      principal: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
      key: fc.constantFrom(...keys),
      namespaces: fc.option(
        fc.array(fc.constantFrom('git', 'file', 'receipt@ccr.invalid'), { minLength: 1, maxLength: 3 }),
        { nil: undefined },
      ),
      validAfter: fc.option(fc.integer({ min: 1, max: 2_000_000_000 }), { nil: undefined }),
      validBefore: fc.option(fc.integer({ min: 2_000_000_001, max: 4_000_000_000 }), { nil: undefined }),
    })
    .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as AllowedSigner);
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
      const file = ['# allowed signers', '', ...entries.map(renderAllowedSigner)].join('\n');
      const parsed = parseAllowedSigners(file);
      return (
        parsed.ok &&
        parsed.entries.length === entries.length &&
        parsed.entries.every((p, i) => renderAllowedSigner(p) === renderAllowedSigner(entries[i]!))
      );
    }),
  );
  const line = formatPublicKey(keys[0]!);
  const two = parseAllowedSigners(`jane,tom ${line} a comment\r\n`);
  t.match(
    two,
    { ok: true, entries: [{ principal: 'jane' }, { principal: 'tom' }] },
    'several principals, a comment, CRLF',
  );
  const cases: Record<string, RegExp> = {
    [`*@example.org ${line}`]: /no patterns/,
    [`jane cert-authority ${line}`]: /expected the options/,
    [`jane valid-after="20260101" ${line}`]: /UTC time YYYYMMDDHHMMSSZ/,
    [`jane valid-after="20260101000000" ${line}`]: /UTC time/,
    [`jane valid-after="20260201000000Z",valid-before="20260101000000Z" ${line}`]: /later than valid-after/,
    [`jane namespaces="git",namespaces="file" ${line}`]: /one namespaces option/,
    [`jane namespaces=git ${line}`]: /double quotes/,
    ['jane']: /one word/,
    ['jane ssh-ed25519 AAAA']: /base64|32-byte|claims|expected/,
  };
  for (const [bad, reason] of Object.entries(cases)) {
    const parsed = parseAllowedSigners(`# first\n${bad}\n`);
    t.ok(
      !parsed.ok && parsed.line === 2 && reason.test(parsed.reason),
      `${bad.slice(0, 50)}: ${parsed.ok ? 'accepted' : parsed.reason}`,
    );
  }
});
