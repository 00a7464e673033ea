// The ref advertisement answered without starting git (server/advertisement.ts): byte for byte
// what git answers, for receive-pack and for upload-pack's protocol v2, as main moves and when
// main is packed; git answers whenever the repository is unusual (another ref, a ref being
// updated, a participant's view with alternates, an old protocol).

import { unlinkSync, writeFileSync } from 'node:fs';
import t from 'tap';
import type { RecordId } from '../../core/ids.js';
import { runGit } from '../../git/run.js';
import { CoordinationService } from '../../index.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, john, place } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { pkt, send } from '../helpers/wire.js';

type Service = 'git-upload-pack' | 'git-receive-pack';

/** What the server answers to `info/refs`. */
async function served(s: TestServer, id: string, service: Service, creds: Creds, protocol?: string): Promise<Buffer> {
  const r = await send(`${s.url}/coordination/${id}.git/info/refs?service=${service}`, {
    auth: creds,
    headers: protocol ? { 'Git-Protocol': protocol } : {},
  });
  if (r.status !== 200) throw new Error(`info/refs: ${r.status}`);
  return r.body;
}

/** What git itself answers for the same repository, as the server frames it. */
async function byGit(s: TestServer, gitdir: string, service: Service, protocol?: string): Promise<Buffer> {
  const env = { ...s.server.context.gitEnv, ...(protocol ? { GIT_PROTOCOL: protocol } : {}) };
  const r = await runGit([service.slice(4), '--stateless-rpc', '--advertise-refs', gitdir], { env });
  const head =
    protocol === 'version=2' && service === 'git-upload-pack'
      ? Buffer.alloc(0)
      : Buffer.concat([pkt(`# service=${service}\n`), Buffer.from('0000')]);
  return Buffer.concat([head, r.stdout]);
}

t.test(
  "after git's first answer the server answers alone, byte for byte as git would, as main moves and when it is packed",
  async (t) => {
    const s = await testServer(t);
    const rec = await s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
    const gitdir = s.server.context.records.path(rec.id as RecordId);
    const known = s.server.context.advertisements;
    for (const [service, protocol] of [
      ['git-receive-pack', undefined],
      ['git-upload-pack', 'version=2'],
    ] as const) {
      t.equal(
        await known.answer(gitdir, service, protocol),
        null,
        `${service}: nothing known before git's first answer`,
      );
      t.same(
        await served(s, rec.id, service, s.admin, protocol),
        await byGit(s, gitdir, service, protocol),
        `${service}: git's answer`,
      );
      t.not(await known.answer(gitdir, service, protocol), null, `${service}: learned from it`);
      t.same(
        await served(s, rec.id, service, s.admin, protocol),
        await byGit(s, gitdir, service, protocol),
        `${service}: the server's own answer is git's`,
      );
    }
    const work = `${tempDir(t)}/c`;
    await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), work]);
    await (
      await CoordinationService.at(work)
    ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Two.' });
    await gitOk(work, ['push', '-q', 'origin', 'main']);
    t.same(
      await served(s, rec.id, 'git-receive-pack', s.admin),
      await byGit(s, gitdir, 'git-receive-pack'),
      'main moved: the new main is advertised',
    );
    t.match(
      (await served(s, rec.id, 'git-receive-pack', s.admin)).toString(),
      (await gitOk(work, ['rev-parse', 'HEAD'])).trim(),
    );
    await gitOk('/', ['--git-dir', gitdir, 'pack-refs', '--all']);
    t.not(
      await known.answer(gitdir, 'git-receive-pack', undefined),
      null,
      'a packed main is still answered by the server',
    );
    t.same(
      await served(s, rec.id, 'git-receive-pack', s.admin),
      await byGit(s, gitdir, 'git-receive-pack'),
      'a packed main: as git answers',
    );
    await (
      await CoordinationService.at(work)
    ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Three.' });
    await gitOk(work, ['push', '-q', 'origin', 'main']);
    t.same(
      await served(s, rec.id, 'git-receive-pack', s.admin),
      await byGit(s, gitdir, 'git-receive-pack'),
      'a loose main over a packed one',
    );
  },
);

t.test('git answers whenever the repository is unusual, and what it answers is served', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, john], message: { author_id: jane.participant_id, body: 'One.' } });
  const gitdir = s.server.context.records.path(rec.id as RecordId);
  const known = s.server.context.advertisements;
  await served(s, rec.id, 'git-receive-pack', s.admin);
  const main = (await gitOk('/', ['--git-dir', gitdir, 'rev-parse', 'main'])).trim();

  await gitOk('/', ['--git-dir', gitdir, 'update-ref', 'refs/heads/other', main]);
  t.equal(await known.answer(gitdir, 'git-receive-pack', undefined), null, 'another branch: git answers');
  t.same(
    await served(s, rec.id, 'git-receive-pack', s.admin),
    await byGit(s, gitdir, 'git-receive-pack'),
    'and it shows the other branch',
  );
  await gitOk('/', ['--git-dir', gitdir, 'update-ref', '-d', 'refs/heads/other']);
  t.not(await known.answer(gitdir, 'git-receive-pack', undefined), null, 'back to main alone');

  await gitOk('/', ['--git-dir', gitdir, 'tag', 'v1', main]);
  t.equal(await known.answer(gitdir, 'git-receive-pack', undefined), null, 'a tag: git answers');
  await gitOk('/', ['--git-dir', gitdir, 'tag', '-d', 'v1']);

  await gitOk('/', ['--git-dir', gitdir, 'update-ref', 'refs/ccr/peers/b/synced', main]);
  t.not(await known.answer(gitdir, 'git-receive-pack', undefined), null, 'hidden refs change nothing');

  writeFileSync(`${gitdir}/refs/heads/main.lock`, `${main}\n`);
  t.equal(await known.answer(gitdir, 'git-receive-pack', undefined), null, 'main being updated: git answers');
  unlinkSync(`${gitdir}/refs/heads/main.lock`);

  for (const protocol of [undefined, 'version=1']) {
    t.equal(
      await known.answer(gitdir, 'git-upload-pack', protocol),
      null,
      `upload-pack ${protocol ?? 'v0'}: git answers`,
    );
    t.same(
      await served(s, rec.id, 'git-upload-pack', s.admin, protocol),
      await byGit(s, gitdir, 'git-upload-pack', protocol),
    );
  }

  // John reads through his view: a repository with alternates, answered by git.
  await served(s, rec.id, 'git-receive-pack', cast.john);
  const view = await s.server.context.views.of(
    {
      kind: 'participant',
      name: 'john',
      participantId: john.participant_id as never,
      role: 'patient',
      displayName: john.display_name,
    },
    rec.id as RecordId,
  );
  t.ok(view, 'john has a view');
  t.equal(await known.answer(view!.dir, 'git-receive-pack', undefined), null, 'a view: git answers');
  t.same(
    await served(s, rec.id, 'git-receive-pack', cast.john),
    await byGit(s, view!.dir, 'git-receive-pack'),
    "the view's own main, as git says",
  );
});
