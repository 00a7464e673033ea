// Client signing (issue 14): `ccr config set signing-key PATH`, or git's own `user.signingkey` with
// `gpg.format=ssh`, makes `ccr message add` and `ccr thread create` sign their commits with
// ssh-keygen; the library's CoordinationService signs with a signer. Pushed to a server with
// --require-signed-commits, they are accepted; `git verify-commit` accepts them too.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { sshKeygenSigner } from '../../git/signers.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { eventually } from '../helpers/receiver.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { keygen, keygenKinds, keyProof } from '../helpers/ssh.js';
import { tempDir } from '../helpers/tmp.js';

t.test('ccr and the service sign with the configured key; a server requiring signatures accepts them', async (t) => {
  const s = await testServer(t, { requireSignedCommits: true });
  const cast = await castPrincipals(s);
  const home = tempDir(t);
  const key = keygen(home, keygenKinds[0]);
  const other = keygen(home, keygenKinds[0]);
  const r = await s.api('POST', '/api/principals/jane/keys', cast.jane, {
    public_key: key.line,
    proof: keyProof(home, key, 'jane'),
  });
  t.equal(r.status, 201);
  // Under the policy the API writes no message (its commits would be the server's): a thread without one.
  const rec = await s.record({ participants: [jane, tom] });
  const env = { CCR_USER: cast.jane.name, CCR_TOKEN: cast.jane.token, CCR_CONFIG: `${home}/jane.json` };
  const run = (args: string[], cwd = home) => ccr(args, { cwd, env });
  for (const [k, v] of [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', jane.role],
    ['care-location', place],
  ]) {
    t.equal((await run(['config', 'set', k!, v!])).status, 0);
  }
  t.equal((await run(['clone', s.url, rec.id, 'wc'])).status, 0);
  const wc = `${home}/wc`;
  const allowed = `${home}/allowed`;
  writeFileSync(allowed, (await s.api('GET', '/api/allowed-signers', s.admin)).body as string);
  const verify = (oid = 'HEAD') =>
    gitRun(wc, ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', oid], {
      env: testGitEnv({ TZ: 'UTC' }),
    });
  const push = async () => {
    const p = await gitRun(wc, ['push', '-q', s.gitUrl(rec.id, cast.jane), 'HEAD:main']);
    return { status: p.status, remote: p.stderr };
  };

  // Unsigned: refused under the policy.
  t.equal((await run(['message', 'add', rec.thread!, '-m', 'Unsigned.'], wc)).status, 0);
  const refused = await push();
  t.not(refused.status, 0);
  t.match(refused.remote, /ccr\/commit-signature: .*unsigned/);
  await gitOk(wc, ['reset', '-q', '--hard', 'HEAD~1']);

  // A key file that is not there is a usage error at `config set`.
  t.equal((await run(['config', 'set', 'signing-key', `${home}/nope`])).status, 2);
  t.equal((await run(['config', 'set', 'signing-key', key.path, '--local'], wc)).status, 0);
  const added = await run(['message', 'add', rec.thread!, '-m', 'Signed by ccr.'], wc);
  t.equal(added.status, 0, added.stderr);
  t.match(await gitOk(wc, ['cat-file', 'commit', 'HEAD']), /^gpgsig -----BEGIN SSH SIGNATURE-----$/m);
  t.equal((await verify()).status, 0, 'git verify-commit accepts it');
  const created = await run(
    [
      'thread',
      'create',
      '--participant',
      `${tom.participant_id}:clinician:${tom.display_name}`,
      '-m',
      'A new thread, signed.',
    ],
    wc,
  );
  t.equal(created.status, 0, created.stderr);
  t.equal((await verify()).status, 0, 'the thread commit too');
  const pushed = await push();
  t.equal(pushed.status, 0, pushed.remote);

  // git's own configuration: gpg.format=ssh and user.signingkey (the ccr setting removed).
  writeFileSync(`${wc}/.git/ccr.json`, '{}\n');
  await gitOk(wc, ['config', 'gpg.format', 'ssh']);
  await gitOk(wc, ['config', 'user.signingkey', key.path]);
  t.equal((await run(['message', 'add', rec.thread!, '-m', 'Signed through git config.'], wc)).status, 0);
  t.equal((await verify()).status, 0);

  // A key given literally (`key::ssh-…`), its private half held by ssh-agent: the public key is
  // written once, under its hash, in the user's cache folder, for every command that signs.
  const agentSock = `${home}/ssh-agent.sock`;
  const sshAgent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  t.teardown(() => sshAgent.kill());
  await eventually(() => Promise.resolve(existsSync(agentSock)), 10_000, 'ssh-agent');
  const agentEnv = { ...env, SSH_AUTH_SOCK: agentSock, XDG_CACHE_HOME: `${home}/cache` };
  t.equal(spawnSync('ssh-add', ['-q', key.path], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } }).status, 0);
  await gitOk(wc, ['config', 'user.signingkey', `key::${key.line}`]);
  for (const body of ['Signed by ssh-agent.', 'Signed by ssh-agent again.']) {
    const signed = await ccr(['message', 'add', rec.thread!, '-m', body], { cwd: wc, env: agentEnv });
    t.equal(signed.status, 0, signed.stderr);
    t.equal((await verify()).status, 0, body);
  }
  t.same(readdirSync(`${home}/cache/ccr/signing-keys`).length, 1, 'one file for the key');
  t.equal(
    readFileSync(`${home}/cache/ccr/signing-keys/${readdirSync(`${home}/cache/ccr/signing-keys`)[0]!}`, 'utf8'),
    `${key.line}\n`,
  );
  await gitOk(wc, ['config', 'user.signingkey', key.path]);

  // The library: a signer given to the service.
  const svc = await CoordinationService.at(wc, undefined, undefined, sshKeygenSigner(key.path));
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Signed by the service.' });
  t.equal((await verify()).status, 0);
  t.equal((await push()).status, 0, 'accepted under the policy');

  // Signed with a key registered to nobody: refused under the policy, with the reason.
  const stranger = await CoordinationService.at(wc, undefined, undefined, sshKeygenSigner(other.path));
  await stranger.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Signed by a stranger.' });
  const unknown = await push();
  t.not(unknown.status, 0);
  t.match(unknown.remote, /ccr\/commit-signature: .*unknown/);
  await gitOk(wc, ['reset', '-q', '--hard', 'HEAD~1']);

  // A key file that cannot sign: the command fails with a clear message and writes nothing.
  writeFileSync(`${home}/broken`, 'not a key\n');
  await gitOk(wc, ['config', 'user.signingkey', `${home}/broken`]);
  const head = (await gitOk(wc, ['rev-parse', 'HEAD'])).trim();
  const broken = await run(['message', 'add', rec.thread!, '-m', 'Cannot be signed.'], wc);
  t.not(broken.status, 0);
  t.match(broken.stderr, /could not sign with/);
  t.notMatch(broken.stderr, /\n\s+at /, 'no stack');
  t.equal((await gitOk(wc, ['rev-parse', 'HEAD'])).trim(), head, 'nothing committed');
});
