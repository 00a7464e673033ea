// The server signs what it writes itself (issue 14): record creation over the API, the first
// thread, a peer's record re-created byte for byte (the peer's signature kept), and sync merges.
// `git verify-commit` with the published allowed signers file is the judge, in real clones.

import { statSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { mainAt, sites, syncAll, type Site } from '../helpers/sites.js';
import { castPrincipals, testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { parseOpenSshPrivateKey } from '../../core/ssh/privateKey.js';
import { publicKeyFromKeyObject, formatPublicKey } from '../../core/ssh/keys.js';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { evaluateCommit } from '../../core/evaluate.js';
import type { RecordId } from '../../core/ids.js';
import type { Oid } from '../../core/objects.js';
import { CatFileSource } from '../../git/catfile.js';
import { gitMergeBase } from '../../git/mergeBase.js';

/** The allowed signers file of a site, written to `dir`. */
async function allowedSigners(s: TestServer, dir: string, name = 'allowed'): Promise<string> {
  const r = await s.api('GET', '/api/allowed-signers', s.admin);
  if (r.status !== 200) throw new Error(`allowed-signers: ${r.status}`);
  const file = `${dir}/${name}`;
  writeFileSync(file, r.body as string);
  return file;
}

/** Register site `of`'s public key at site `at`, under the site principal `of` pushes with there. */
async function registerSiteKey(of: Site, at: Site): Promise<void> {
  const key = formatPublicKey(of.s.server.context.siteKey.publicKey);
  const r = await at.s.api('POST', `/api/principals/site-${of.name}/keys`, at.s.admin, { public_key: key });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Every commit of `main` in a clone with `git verify-commit`'s verdict. */
async function verdicts(clone: string, file: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const oid of (await gitOk(clone, ['rev-list', 'HEAD'])).trim().split('\n')) {
    const r = await gitRun(clone, ['-c', `gpg.ssh.allowedSignersFile=${file}`, 'verify-commit', oid], {
      env: testGitEnv({ TZ: 'UTC' }),
    });
    out.set(oid, r.status === 0);
  }
  return out;
}

/** A message added in a clone with the library (unsigned) and pushed; gives the commit. */
async function pushMessage(clone: string, thread: string, body: string): Promise<string> {
  await (await CoordinationService.at(clone)).addMessage(committer, place, thread, { author: as(jane), body });
  await gitOk(clone, ['push', '-q', 'origin', 'HEAD:main']);
  return (await gitOk(clone, ['rev-parse', 'HEAD'])).trim();
}

t.test(
  'the site key: made at first start, mode 600, OpenSSH format ssh-keygen reads, published as ccr-server',
  async (t) => {
    const [a] = await sites(t, ['a']);
    const file = `${a!.s.data}/site-signing-key`;
    t.equal(statSync(file).mode & 0o777, 0o600);
    const key = parseOpenSshPrivateKey(readFileSync(file, 'utf8'));
    const pub = publicKeyFromKeyObject(key);
    t.ok(pub.ok);
    // ssh-keygen derives the same public key from the file.
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' })
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    t.equal(derived, formatPublicKey(a!.s.server.context.siteKey.publicKey));
    const text = (await a!.s.api('GET', '/api/allowed-signers', a!.s.admin)).body as string;
    t.match(text, new RegExp(`^ccr-server namespaces="git,ccr-receipt" ${derived.replace(/[+/]/g, '\\$&')}$`, 'm'));
    t.equal(
      a!.s.logs.some((l) => l.includes('"site-key-created"')),
      true,
      'its creation is logged with the public key',
    );
    const reserved = await a!.s.api('POST', '/api/principals', a!.s.admin, { name: 'ccr-server', kind: 'integration' });
    t.equal(reserved.status, 400, 'no principal may take the name of the site key');
    t.notOk(JSON.stringify(reserved.body).includes('PRIVATE'), 'nothing of the key in answers');
    for (const path of ['/site-signing-key', '/coordination/../site-signing-key', '/api/site-signing-key']) {
      const r = await a!.s.api('GET', path, a!.s.admin);
      t.not(r.status, 200, `${path} is not served`);
    }
  },
);

t.test(
  'git verify-commit accepts every commit the servers made: API creation, peer re-creation, sync merges',
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    await registerSiteKey(a!, b!);
    await registerSiteKey(b!, a!);
    const dir = tempDir(t);
    const rec = await a!.s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'First.' },
    });
    const clients = new Set<string>();

    const cloneA = `${dir}/a`;
    await gitOk(dir, ['clone', '-q', a!.s.gitUrl(rec.id, a!.s.admin), cloneA]);
    let v = await verdicts(cloneA, await allowedSigners(a!.s, dir, 'a1'));
    t.equal(v.size, 2, 'record and thread');
    t.ok([...v.values()].every(Boolean), 'both signed by the site key');
    clients.add(await pushMessage(cloneA, rec.thread!, 'Pushed at A.'));

    // B does not hold the record: A creates it there with its first commit, signature and all.
    t.match(await syncAll(a!, 'b'), [{ outcome: 'created-at-peer' }]);
    t.equal(await mainAt(b!, rec.id), await mainAt(a!, rec.id));

    // Both sites move; A's round merges and signs the merge.
    const cloneB = `${dir}/b`;
    await gitOk(dir, ['clone', '-q', b!.s.gitUrl(rec.id, b!.s.admin), cloneB]);
    clients.add(await pushMessage(cloneB, rec.thread!, 'Pushed at B.'));
    clients.add(await pushMessage(cloneA, rec.thread!, 'Pushed at A again.'));
    t.match(await syncAll(a!, 'b'), [{ outcome: 'merged' }]);
    const merge = (await mainAt(a!, rec.id))!;
    t.equal(await mainAt(b!, rec.id), merge, 'B took the signed merge');
    const mergeObject = await gitOk(cloneA, [
      '--git-dir',
      a!.s.server.context.records.path(rec.id as never),
      'cat-file',
      'commit',
      merge,
    ]);
    t.match(mergeObject, /^parent [0-9a-f]{40}\nparent [0-9a-f]{40}\n/m, 'a merge');
    t.match(mergeObject, /^gpgsig -----BEGIN SSH SIGNATURE-----$/m, 'signed');

    // ccr/merge takes the deterministic merge with or without one signature, and nothing else
    // (two signature headers are already a malformed commit).
    const gitdirA = a!.s.server.context.records.path(rec.id as never);
    const header = /^gpgsig [^\n]*\n(?: [^\n]*\n)*/m;
    const signature = header.exec(mergeObject)![0];
    const variants: Array<[string, string, boolean]> = [
      ['the unsigned deterministic merge', mergeObject.replace(header, ''), true],
      ['the signed merge as written', mergeObject, true],
      ['another header beside the signature', mergeObject.replace(header, `${signature}gpgsig-sha256 x\n`), false],
      ['two signatures', mergeObject.replace(header, `${signature}${signature}`), false],
      [
        'the signature with another message',
        mergeObject.replace('Merged concurrent updates', 'Merged concurrent update'),
        false,
      ],
    ];
    const source = new CatFileSource(gitdirA);
    t.teardown(() => source.close());
    for (const [what, text, ok] of variants) {
      const oid = (
        await gitOk(cloneA, ['--git-dir', gitdirA, 'hash-object', '-t', 'commit', '-w', '--stdin'], { input: text })
      ).trim();
      const found = await evaluateCommit(source, oid as Oid, {
        recordId: rec.id as RecordId,
        mergeBase: gitMergeBase(gitdirA, a!.s.server.context.gitEnv),
        now: Date.now(),
      });
      const errors = found.filter((f) => f.severity === 'error').map((f) => f.rule);
      t.equal(errors.length === 0, ok, `${what}: ${ok ? 'accepted' : `refused (${errors.join(', ')})`}`);
      if (!ok) t.match(errors[0], /^ccr\/(merge|object-format)$/);
    }

    for (const [site, clone] of [
      [a!, cloneA],
      [b!, cloneB],
    ] as const) {
      await gitOk(clone, ['pull', '-q', '--ff-only', 'origin', 'main']);
      v = await verdicts(clone, await allowedSigners(site.s, dir, `${site.name}2`));
      t.equal(v.size, 6, `${site.name}: record, thread, three pushes, the merge`);
      for (const [oid, ok] of v)
        t.equal(
          ok,
          !clients.has(oid),
          `${site.name}: ${oid.slice(0, 12)} ${clients.has(oid) ? 'a client commit, unsigned' : 'server-made, verifies'}`,
        );
    }
  },
);

t.test('the message API writes signed commits: git verify-commit accepts each, as ccr-server', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'First.' },
  });
  const posted = await s.api('POST', `/api/records/${rec.id}/threads/${rec.thread}/messages`, cast.jane, {
    body: 'Posted through the API.',
  });
  t.equal(posted.status, 201, JSON.stringify(posted.body));
  const created = await s.api('POST', `/api/records/${rec.id}/threads`, cast.jane, {
    participants: [jane, tom],
    message: { body: 'A second thread.' },
  });
  t.equal(created.status, 201, JSON.stringify(created.body));
  const closed = await s.api('PATCH', `/api/records/${rec.id}/threads/${rec.thread}`, cast.jane, { status: 'closed' });
  t.equal(closed.status, 200, JSON.stringify(closed.body));
  const dir = tempDir(t);
  await gitOk(dir, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const file = await allowedSigners(s, dir);
  const v = await verdicts(`${dir}/c`, file);
  for (const commit of [
    (posted.body as { commit: string }).commit,
    (created.body as { commit: string }).commit,
    (closed.body as { commit: string }).commit,
  ]) {
    t.equal(v.get(commit), true, `${commit.slice(0, 12)} verifies`);
    const r = await gitRun(`${dir}/c`, ['-c', `gpg.ssh.allowedSignersFile=${file}`, 'verify-commit', commit], {
      env: testGitEnv({ TZ: 'UTC' }),
    });
    t.match(r.stderr, /Good "git" signature for ccr-server/, 'signed by the site key');
  }
});

t.test('a site key others may read, or one CCR cannot use, stops the start with a reason', async (t) => {
  const { startServer } = await import('../../server/index.js');
  const { chmodSync, mkdirSync } = await import('node:fs');
  for (const [what, prepare, reason] of [
    [
      'readable by others',
      (file: string) => {
        writeFileSync(file, readFileSync(file));
        chmodSync(file, 0o644);
      },
      /may be read by others \(mode 644\)/,
    ],
    [
      'not a key',
      (file: string) => {
        writeFileSync(file, 'hello\n', { mode: 0o600 });
      },
      /expected an OpenSSH private key file/,
    ],
  ] as const) {
    const data = tempDir(t);
    mkdirSync(data, { recursive: true });
    // A first start makes the key; then it is spoiled.
    const first = await startServer({
      data,
      port: 0,
      adminToken: 'ccr_test-admin-token-0123456789abcdefghijklmnopqrs',
      quiet: true,
      validatorThreads: 1,
    });
    await first.close();
    prepare(`${data}/site-signing-key`);
    await t.rejects(
      startServer({ data, port: 0, quiet: true, validatorThreads: 1 }),
      { code: 'CannotStart', message: reason },
      what,
    );
  }
});

t.test('under --require-signed-commits the message API writes nothing: a token alone must not write', async (t) => {
  const s = await testServer(t, { requireSignedCommits: true });
  const cast = await castPrincipals(s);
  const made = await s.api('POST', '/api/records', s.admin, {
    clinical_id: '0f1e2d3c-4b5a-4697-8877-665544332211',
    care_location: place,
    thread: { participants: [jane, tom] },
  });
  t.equal(made.status, 201, "a record and a thread without a message: the server's own commits");
  const id = made.body.coordination_id as string;
  const thread = made.body.thread_id as string;
  const refused = [
    await s.api('POST', `/api/records/${id}/threads/${thread}/messages`, cast.jane, { body: 'Only my token.' }),
    await s.api('PATCH', `/api/records/${id}/threads/${thread}`, cast.jane, { status: 'closed' }),
    await s.api('POST', `/api/records/${id}/threads`, cast.jane, {
      participants: [jane, tom],
      message: { body: 'New thread.' },
    }),
    await s.api('POST', '/api/records', cast.jane, {
      clinical_id: '0f1e2d3c-4b5a-4697-8877-665544332211',
      care_location: place,
      thread: { participants: [jane], message: { author_id: jane.participant_id, body: 'Hello.' } },
    }),
  ];
  for (const r of refused) {
    t.equal(r.status, 422, JSON.stringify(r.body));
    t.match(r.body.error, {
      code: 'RuleViolation',
      findings: [
        { rule: 'ccr/commit-signature', message: /signed with a key registered to jane.*cannot carry your signature/ },
      ],
    });
  }
  const dir = tempDir(t);
  await gitOk(dir, ['clone', '-q', s.gitUrl(id, s.admin), 'c']);
  t.equal((await gitOk(`${dir}/c`, ['rev-list', '--count', 'HEAD'])).trim(), '2', 'nothing was written');
});
