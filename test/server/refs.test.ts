import t from 'tap';
import { judgePush } from '../../server/validator.js';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

t.test('ref rules: only main changes, never deleted, never forced, never created by a push', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'Hello.' } });
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const c = `${work}/c`;
  const refs = async () => (await gitOk(c, ['ls-remote', 'origin'])).trim();
  const before = await refs();
  const svc = await CoordinationService.at(c);
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'A good message.' });
  await gitOk(c, ['tag', 'v1']);
  await gitOk(c, ['notes', 'add', '-m', 'a note', 'HEAD']);

  const cases: Array<[string, string[], string]> = [
    ['a tag', ['push', 'origin', 'v1'], 'ccr/ref-name'],
    ['a tag with a valid main update', ['push', 'origin', 'main', 'v1'], 'ccr/ref-name'],
    ['notes', ['push', 'origin', 'refs/notes/commits'], 'ccr/ref-name'],
    ['notes with a valid main update', ['push', 'origin', 'main', 'refs/notes/commits'], 'ccr/ref-name'],
    ['another branch', ['push', 'origin', 'HEAD:refs/heads/other'], 'ccr/ref-name'],
    ['another branch with a valid main update', ['push', 'origin', 'HEAD:refs/heads/other', 'main'], 'ccr/ref-name'],
    ['refs/meta/config', ['push', 'origin', 'HEAD:refs/meta/config'], 'ccr/ref-name'],
    ['refs/meta/config with a valid main update', ['push', 'origin', 'main', 'HEAD:refs/meta/config'], 'ccr/ref-name'],
    ['deleting main', ['push', 'origin', ':main'], 'ccr/ref-delete'],
  ];
  for (const [name, args, rule] of cases) {
    const r = await gitRun(c, args);
    t.not(r.status, 0, `${name} is refused`);
    t.match(r.stderr, `remote: ${rule} `, `${name}: ${rule}\n${r.stderr}`);
    t.equal(await refs(), before, `${name}: no ref changed`);
  }
  t.notMatch(
    (await gitRun(c, ['push', 'origin', 'main', 'v1'])).stderr,
    /remote: ccr\/ref-name refs\/heads\/main/,
    'the verdict on the tag does not leak onto main',
  );

  t.equal((await gitRun(c, ['push', '-q', 'origin', 'main'])).status, 0, 'the good neighbour: main alone is accepted');
  const pushed = await refs();
  await gitOk(c, [
    'commit',
    '--amend',
    '-q',
    '-m',
    'coordination:update: Added message to thread\n\nCare-Location: Elsewhere',
  ]);
  const forced = await gitRun(c, ['push', '--force', 'origin', 'main']);
  t.not(forced.status, 0, 'a force push is refused');
  t.match(forced.stderr, 'remote: ccr/ref-fast-forward');
  t.equal(await refs(), pushed, 'main is unchanged');
});

t.test('a push that would create main is refused', async (t) => {
  const verdict = await judgePush({
    gitdir: '/nonexistent',
    recordId: '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as never,
    principal: { kind: 'admin', name: 'admin' },
    env: {},
    updates: [{ old: '0'.repeat(40), new: 'a'.repeat(40), ref: 'refs/heads/main' }],
    now: Date.now(),
    gitEnv: process.env,
    content: true,
    maxCommits: 10,
    bindings: new Map(),
  });
  t.match(verdict.findings, [{ rule: 'ccr/ref-create' }]);
});
