import t from 'tap';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as commitSignature from '../../core/ssh/commitSignature.js';
import {
  addCommitSignature,
  extractCommitSignature,
  signCommit,
  verifyCommitSignature,
} from '../../core/ssh/commitSignature.js';
import { allowsAt, renderAllowedSigner, type AllowedSigner } from '../../core/ssh/allowedSigners.js';
import { publicKeyFromKeyObject, type SshPublicKey } from '../../core/ssh/keys.js';
import { signSshSignature } from '../../core/ssh/sshsig.js';
import { InvalidInput } from '../../core/errors.js';
import { testGitEnv } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';
import { keygen, keygenKinds, keygenSign, readOpenSshEd25519 } from '../helpers/ssh.js';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** A repository with a file committed unsigned, and an allowed signers file beside it. */
function repo(t: { teardown(fn: () => void): void }) {
  const dir = tempDir(t, 'ccr-sig-');
  const work = join(dir, 'repo');
  const allowed = join(dir, 'allowed_signers');
  writeFileSync(allowed, '');
  execFileSync('git', ['init', '-q', '-b', 'main', work], { env: testGitEnv() });
  const git = (args: string[], opts: { input?: Uint8Array; env?: NodeJS.ProcessEnv } = {}) =>
    execFileSync('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, ...args], {
      cwd: work,
      env: testGitEnv(opts.env),
      input: opts.input ?? new Uint8Array(),
      maxBuffer: 1 << 26,
    });
  const verify = (oid: string, env: NodeJS.ProcessEnv = {}) =>
    spawnSync('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', oid], {
      cwd: work,
      env: testGitEnv(env),
      encoding: 'utf8',
      timeout: 60_000,
    }).status === 0;
  const write = (content: Uint8Array) =>
    git(['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], { input: content }).toString().trim();
  const read = (oid: string) => new Uint8Array(git(['cat-file', 'commit', oid]));
  writeFileSync(join(work, 'messages.md'), '# Messages\n');
  git(['add', 'messages.md']);
  git(['commit', '-q', '-m', 'coordination:create: Created coordination record\n\nCare-Location: Ward 7']);
  const allow = (lines: string[]) => writeFileSync(allowed, lines.map((l) => `${l}\n`).join(''));
  return { dir, work, git, verify, write, read, allow };
}

const signer = (key: SshPublicKey, extra: Partial<AllowedSigner> = {}) =>
  renderAllowedSigner({ principal: 'jane', key, ...extra });

t.test('exports the commit signature API', async (t) => {
  t.same(Object.keys(commitSignature).sort(), [
    'SIGNATURE_HEADER',
    'addCommitSignature',
    'extractCommitSignature',
    'signCommit',
    'verifyCommitSignature',
  ]);
});

t.test(
  'verifies commits that git commit -S signs with every SSH key type, exactly when git verify-commit does',
  async (t) => {
    const r = repo(t);
    for (const [i, kind] of keygenKinds.entries()) {
      const k = keygen(r.dir, kind);
      r.allow([signer(k.key)]);
      const encoding = i === 1 ? ['-c', 'i18n.commitEncoding=ISO-8859-1'] : [];
      r.git([
        ...encoding,
        '-c',
        'gpg.format=ssh',
        '-c',
        `user.signingkey=${k.path}`,
        'commit',
        '-q',
        '-S',
        '--allow-empty',
        '-m',
        `coordination:update: Added message to thread\n\nCare-Location: Ward ${i}`,
      ]);
      const oid = r.git(['rev-parse', 'HEAD']).toString().trim();
      const raw = r.read(oid);
      const { payload, signature, headers } = extractCommitSignature(raw);
      t.equal(headers, 1, `${kind.name}: one gpgsig header`);
      t.ok(signature && decode(signature).startsWith('-----BEGIN SSH SIGNATURE-----\n'));
      t.same(
        addCommitSignature(payload, decode(signature!)),
        raw,
        `${kind.name}: inserting the signature again gives git's object byte for byte`,
      );
      t.ok(r.verify(oid), `${kind.name}: git verify-commit accepts it`);
      t.match(verifyCommitSignature(raw, { key: k.key }), { ok: true, namespace: 'git' }, `${kind.name}: so do we`);
      if (i === 1)
        t.match(
          decode(raw),
          /\nencoding ISO-8859-1\ngpgsig -----BEGIN/,
          'the signature header comes after the other headers',
        );
    }
  },
);

t.test('refuses tampered and unsigned commits where git does, and says where git is more lenient', async (t) => {
  const r = repo(t);
  const k = keygen(r.dir, keygenKinds[0]);
  const stranger = keygen(r.dir, keygenKinds[0]);
  r.allow([signer(k.key)]);
  r.git([
    '-c',
    'gpg.format=ssh',
    '-c',
    `user.signingkey=${k.path}`,
    'commit',
    '-q',
    '-S',
    '--allow-empty',
    '-m',
    'coordination:update: Added message to thread\n\nCare-Location: Ward 7',
  ]);
  const raw = decode(r.read('HEAD'));
  const unsigned = decode(extractCommitSignature(text(raw)).payload);
  const sigBlock = raw.slice(raw.indexOf('gpgsig '), raw.indexOf('-----END SSH SIGNATURE-----') + 27); // without its newline
  const armored = decode(extractCommitSignature(text(raw)).signature!);
  // [commit object, our answer, git verify-commit's]
  const cases: Record<string, [string, string, boolean]> = {
    intact: [raw, 'ok', true],
    'the message changed': [raw.replace('Ward 7', 'Ward 8'), 'bad-signature', false],
    'the author changed': [raw.replace('author CCR Test', 'author Mallory'), 'bad-signature', false],
    unsigned: [unsigned, 'unsigned', false],
    'signed by a key not allowed': [
      decode(addCommitSignature(text(unsigned), keygenSign(r.dir, stranger.path, text(unsigned), 'git'))),
      'key-mismatch',
      false,
    ],
    'signed for another namespace': [
      decode(addCommitSignature(text(unsigned), keygenSign(r.dir, k.path, text(unsigned), 'file'))),
      'wrong-namespace',
      false,
    ],
    'the signature header moved before the author (git signs without it wherever it is)': [
      raw.replace(`${sigBlock}\n`, '').replace('author ', `${sigBlock}\nauthor `),
      'ok',
      true,
    ],
    "another hash's gpgsig-sha256 header added (left out of the payload, as git does)": [
      raw.replace(
        'gpgsig ',
        'gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\ngpgsig ',
      ),
      'ok',
      true,
    ],
    'text after the END line in the header (git and ssh-keygen ignore it)': [
      raw.replace(sigBlock, `${sigBlock}\n trailing text`),
      'malformed',
      true,
    ],
    'two gpgsig headers (git joins them, ssh-keygen reads the first)': [
      raw.replace(sigBlock, `${sigBlock}\n${sigBlock}`),
      'malformed',
      true,
    ],
  };
  for (const [name, [content, ours, git]] of Object.entries(cases)) {
    const oid = r.write(text(content));
    const result = verifyCommitSignature(text(content), { key: k.key });
    t.equal(result.ok ? 'ok' : result.problem, ours, `${name}: ${result.ok ? 'verified' : result.reason}`);
    t.equal(r.verify(oid), git, `${name}: git verify-commit ${git ? 'accepts' : 'refuses'}`);
  }
  t.match(verifyCommitSignature(text(raw.replace(sigBlock, `${sigBlock}\n${sigBlock}`))), {
    reason: 'expected one gpgsig header, found 2',
  });
  t.throws(() => addCommitSignature(text(raw), armored), InvalidInput, 'a signed commit is not signed again');
  t.throws(
    () => addCommitSignature(text(unsigned), armored.trimEnd()),
    InvalidInput,
    'an armour without its final newline',
  );
});

t.test('signs commits git verifies, byte for byte the commit git commit-tree -S makes with the same key', async (t) => {
  const r = repo(t);
  const k = keygen(r.dir, keygenKinds[0]);
  r.allow([signer(k.key)]);
  const env = { GIT_AUTHOR_DATE: '1767225600 +0000', GIT_COMMITTER_DATE: '1767225600 +0000' };
  const tree = r.git(['rev-parse', 'HEAD^{tree}']).toString().trim();
  const msg = text('coordination:update: Added message to thread\n\nCare-Location: Ward 7\n');
  const unsignedOid = r.git(['commit-tree', tree, '-p', 'HEAD'], { input: msg, env }).toString().trim();
  const gitSigned = r
    .git(['-c', 'gpg.format=ssh', '-c', `user.signingkey=${k.path}`, 'commit-tree', '-S', tree, '-p', 'HEAD'], {
      input: msg,
      env,
    })
    .toString()
    .trim();
  const ours = signCommit(r.read(unsignedOid), readOpenSshEd25519(k.path));
  t.equal(r.write(ours), gitSigned, 'the same commit id');
  t.ok(r.verify(gitSigned));

  const site = generateKeyPairSync('ed25519').privateKey;
  const siteKey = publicKeyFromKeyObject(site, 'site key');
  if (!siteKey.ok) throw new Error(siteKey.reason);
  r.allow([signer(k.key), renderAllowedSigner({ principal: 'site-a', key: siteKey.key })]);
  for (const hash of ['sha512', 'sha256'] as const) {
    const signed = signCommit(r.read(unsignedOid), site, hash);
    const oid = r.write(signed);
    t.ok(r.verify(oid), `${hash}: git verify-commit accepts a commit the server signed`);
    t.match(
      spawnSync('git', ['-c', `gpg.ssh.allowedSignersFile=${join(r.dir, 'allowed_signers')}`, 'verify-commit', oid], {
        cwd: r.work,
        env: testGitEnv(),
        encoding: 'utf8',
      }).stderr,
      /Good "git" signature for site-a with ED25519 key SHA256:/,
    );
    t.match(verifyCommitSignature(signed, { key: siteKey.key }), { ok: true, hashAlgorithm: hash });
  }
  t.throws(() => signCommit(r.read(gitSigned), site), InvalidInput);
});

t.test(
  'renders validity windows git verify-commit and ssh-keygen honour to the second, in UTC whatever the local time zone',
  async (t) => {
    const r = repo(t);
    const k = keygen(r.dir, keygenKinds[0]);
    const validAfter = 1767225600; // 2026-01-01T00:00:00Z
    const validBefore = validAfter + 86_400 * 30;
    const entry: AllowedSigner = { principal: 'jane', key: k.key, namespaces: ['git'], validAfter, validBefore };
    r.allow([renderAllowedSigner(entry)]);
    for (const at of [validAfter - 1, validAfter, validAfter + 3600, validBefore, validBefore + 1]) {
      for (const tz of ['UTC', 'Pacific/Auckland', 'America/Los_Angeles']) {
        const env = { GIT_COMMITTER_DATE: `${at} +0000`, GIT_AUTHOR_DATE: `${at} +0000`, TZ: tz };
        r.git(
          [
            '-c',
            'gpg.format=ssh',
            '-c',
            `user.signingkey=${k.path}`,
            'commit',
            '-q',
            '-S',
            '--allow-empty',
            '-m',
            `at ${at}`,
          ],
          { env },
        );
        const oid = r.git(['rev-parse', 'HEAD']).toString().trim();
        // git hands ssh-keygen the commit time as local wall-clock time, which ssh-keygen reads as
        // standard time: in a zone on daylight saving time (Auckland in January) it judges the
        // moment one hour late. CCR's lines are UTC; CCR judges the commit's own second.
        const judged = tz === 'Pacific/Auckland' ? at + 3600 : at;
        t.equal(
          r.verify(oid, { TZ: tz }),
          allowsAt(entry, 'git', judged),
          `committed at ${new Date(at * 1000).toISOString()}, read in ${tz}: ${allowsAt(entry, 'git', judged) ? 'valid' : 'outside the window'}`,
        );
        t.match(
          verifyCommitSignature(r.read(oid), { key: k.key }),
          { ok: true },
          "the signature itself verifies; the window is the policy's to judge",
        );
      }
    }
  },
);

t.test("the payload is git's for any headers: commits signed here verify with git verify-commit", async (t) => {
  const r = repo(t);
  const site = generateKeyPairSync('ed25519').privateKey;
  const siteKey = publicKeyFromKeyObject(site);
  if (!siteKey.ok) throw new Error(siteKey.reason);
  r.allow([renderAllowedSigner({ principal: 'site-a', key: siteKey.key })]);
  const base = decode(r.read('HEAD'));
  const headerLine = fc.oneof(
    fc.constant('encoding ISO-8859-1'),
    fc.constant('mergetag object 0000000000000000000000000000000000000000\n type commit\n tag v1\n \n signed'),
    fc.constant('gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----'),
    fc.constant('gpgsigx odd header'),
    fc.stringMatching(/^x-[a-z]{1,8} [ -~]{0,30}(\n [ -~]{0,30}){0,2}$/),
  );
  const line = fc.stringMatching(/^[^\0\n]{0,60}$/);
  fc.assert(
    fc.property(
      fc.array(headerLine, { maxLength: 3 }),
      fc.array(line, { minLength: 1, maxLength: 5 }),
      (headers, lines) => {
        const head = base.slice(0, base.indexOf('\n\n'));
        const content = text(`${head}${headers.map((h) => `\n${h}`).join('')}\n\n${lines.join('\n')}\n`);
        const signed = signCommit(content, site);
        const back = extractCommitSignature(signed);
        const ok = r.verify(r.write(signed)) && verifyCommitSignature(signed, { key: siteKey.key }).ok;
        return ok && Buffer.compare(back.payload, extractCommitSignature(content).payload) === 0;
      },
    ),
    { numRuns: Number(process.env['CCR_SSH_RUNS'] ?? 150) >> 2 },
  );
});

t.test('extraction and insertion are inverse on any commit-like bytes, and extraction never throws', async (t) => {
  const armored = signSshSignature(text('x'), generateKeyPairSync('ed25519').privateKey, { namespace: 'git' });
  const piece = fc.oneof(
    fc.constantFrom('gpgsig', 'gpgsig-sha256 ', 'gpgsig ', ' ', '\n', '\n\n', 'author A <a> 1 +0000'),
    fc.string({ maxLength: 12 }),
  );
  let inserted = 0;
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(piece, { maxLength: 12 }),
      fc.array(piece, { maxLength: 8 }),
      (commitLike, head, tail) => {
        const content = text(
          commitLike
            ? `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n${head.join('')}\n\n${tail.join('')}`
            : head.join(''),
        );
        const split = extractCommitSignature(content);
        if (split.headers) {
          return (
            split.signature !== null &&
            (() => {
              try {
                addCommitSignature(content, armored);
                return false;
              } catch (e) {
                return e instanceof InvalidInput;
              }
            })()
          );
        }
        if (!commitLike) {
          return (() => {
            try {
              addCommitSignature(content, armored);
              return true;
            } catch (e) {
              return e instanceof InvalidInput;
            }
          })();
        }
        const signed = addCommitSignature(content, armored);
        inserted++;
        const back = extractCommitSignature(signed);
        return (
          back.headers === 1 && decode(back.signature!) === armored && Buffer.compare(back.payload, split.payload) === 0
        );
      },
    ),
    { numRuns: 3000 },
  );
  t.ok(inserted > 500, `signatures inserted and read back in ${inserted} of 3000 runs`);
});
