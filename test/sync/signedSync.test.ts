// A sync round checks the signatures of what it fetches (issue 14): a peer's commit whose
// signature does not verify is refused with ccr/commit-signature and nothing of it is kept.

import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { mainAt, sites, syncAll } from '../helpers/sites.js';
import { keygen, keygenKinds } from '../helpers/ssh.js';
import { tempDir } from '../helpers/tmp.js';

t.test('a peer commit whose signature does not verify is refused and not kept; a good one comes in', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'First.' } });
  t.match(await syncAll(a!, 'b'), [{ outcome: 'created-at-peer' }]);
  const before = await mainAt(a!, rec.id);
  const dir = tempDir(t);
  const key = keygen(dir, keygenKinds[0]);
  // Someone at B writes into its repository behind its hook: a signed commit, then altered.
  const gitdir = b!.s.server.context.records.path(rec.id as never);
  const work = `${dir}/w`;
  await gitOk('/', ['clone', '-q', gitdir, work]);
  await (
    await CoordinationService.at(work)
  ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Signed, then altered.' });
  await gitOk(work, [
    '-c',
    'gpg.format=ssh',
    '-c',
    `user.signingkey=${key.path}`,
    'commit',
    '-q',
    '--amend',
    '--no-edit',
    '-S',
  ]);
  const object = await gitOk(work, ['cat-file', 'commit', 'HEAD']);
  const altered = object.replace(
    /^(committer .*> )(\d+)/m,
    (_m, head: string, time: string) => `${head}${Number(time) - 1}`,
  );
  const bad = (await gitOk(work, ['hash-object', '-t', 'commit', '-w', '--stdin'], { input: altered })).trim();
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, `+${bad}:refs/heads/main`]);

  const [round] = await syncAll(a!, 'b');
  t.match(round, { outcome: 'refused-invalid', findings: [{ rule: 'ccr/commit-signature', commit: bad }] });
  t.match(round!.detail, /bad signature/);
  t.equal(await mainAt(a!, rec.id), before, 'our main is where it was');
  const ours = a!.s.server.context.records.path(rec.id as never);
  const held = await gitRun(ours, ['--git-dir', ours, 'cat-file', '-e', bad]);
  t.not(held.status, 0, 'the refused commit is not kept');

  // The same commit signed properly comes in (its key unknown here: who signed is the peer's to judge).
  await gitOk(work, ['reset', '-q', '--hard', 'HEAD']);
  const good = (await gitOk(work, ['rev-parse', 'HEAD'])).trim();
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, `+${good}:refs/heads/main`]);
  t.match(await syncAll(a!, 'b'), [{ outcome: 'fast-forwarded' }]);
  t.equal(await mainAt(a!, rec.id), good);
});
