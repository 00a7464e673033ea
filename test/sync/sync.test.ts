import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { MessageId, Timestamp } from '../../core/ids.js';
import { appendMessages, parseMessages } from '../../core/messages/grammar.js';
import { buildSyncMerge } from '../../core/mergeCommit.js';
import type { Oid } from '../../core/objects.js';
import { gitMergeBase } from '../../git/mergeBase.js';
import { IsoGitSource, writeObjects } from '../../git/store.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { clinicalId, jane, tom } from '../helpers/people.js';
import { fileAt, link, mainAt, sites, syncAll, write, type Site } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Change a site's record on disk, past its hook: a message's text replaced in a new commit, or in
 * the last one amended (a rewritten history).
 */
async function commitOnDisk(
  t: Test,
  site: Site,
  id: string,
  thread: string,
  [from, to]: [string, string],
  amend: boolean,
) {
  const gitdir = site.s.server.context.records.path(id as never);
  const work = `${tempDir(t)}/disk`;
  await gitOk('/', ['clone', '-q', gitdir, work]);
  const file = `${work}/communications/${thread}/messages.md`;
  writeFileSync(file, readFileSync(file, 'utf8').replace(from, to));
  await gitOk(work, [
    'commit',
    '-q',
    ...(amend ? ['--amend'] : []),
    '-am',
    'coordination:update: Added message to thread\n\nCare-Location: B',
  ]);
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, '+main:refs/heads/main']);
}

const bodiesAt = async (site: Site, id: string, thread: string) =>
  parseMessages(await fileAt(site, id, `communications/${thread}/messages.md`)).messages.map((m) => m.body);

t.test('writes at A reach B and C byte-identical, and a round with nothing new changes nothing', async (t) => {
  const [a, b, c] = await sites(t, ['a', 'b', 'c']);
  const rec = await a!.s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'Admitted at A.' },
  });
  await write(t, a!, rec.id, rec.thread!, ['Seen at A.']);
  t.match(
    await syncAll(a!, 'b'),
    [{ outcome: 'created-at-peer' }],
    'the record is created at B with the same first commit',
  );
  t.match(await syncAll(a!, 'c'), [{ outcome: 'created-at-peer' }]);
  const main = await mainAt(a!, rec.id);
  t.equal(await mainAt(b!, rec.id), main);
  t.equal(await mainAt(c!, rec.id), main);
  const path = `communications/${rec.thread}/messages.md`;
  t.equal(await fileAt(b!, rec.id, path), await fileAt(a!, rec.id, path), 'byte-identical');
  for (const [from, to] of [
    [a, 'b'],
    [a, 'c'],
    [b, 'c'],
    [c, 'a'],
  ] as const) {
    t.match(await syncAll(from!, to), [{ outcome: 'in-sync' }], `${from!.name} with ${to}: nothing new`);
  }
  await write(t, a!, rec.id, rec.thread!, ['Later at A.']);
  t.match(await syncAll(a!, 'b'), [{ outcome: 'pushed' }]);
  t.match(await syncAll(c!, 'b'), [{ outcome: 'fast-forwarded' }], 'C takes it from B');
  t.equal(await mainAt(c!, rec.id), await mainAt(a!, rec.id));
});

t.test(
  'concurrent appends at A and B, then at A, B and C, converge to one commit with every message once',
  async (t) => {
    const [a, b, c] = await sites(t, ['a', 'b', 'c']);
    const rec = await a!.s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'Start.' },
    });
    await syncAll(a!, 'b');
    await syncAll(a!, 'c');
    await write(t, a!, rec.id, rec.thread!, ['A1', 'A2']);
    await write(t, b!, rec.id, rec.thread!, ['B1'], tom);
    t.match(await syncAll(a!, 'b'), [{ outcome: 'merged' }]);
    t.equal(await mainAt(a!, rec.id), await mainAt(b!, rec.id), 'A and B hold the same merge');
    t.same((await bodiesAt(a!, rec.id, rec.thread!)).sort(), ['A1', 'A2', 'B1', 'Start.']);

    await write(t, a!, rec.id, rec.thread!, ['A3']);
    await write(t, b!, rec.id, rec.thread!, ['B2'], tom);
    await write(t, c!, rec.id, rec.thread!, ['C1', 'C2']);
    for (let i = 0; i < 2; i++)
      for (const [from, to] of [
        [a, 'b'],
        [b, 'c'],
        [c, 'a'],
        [a, 'c'],
      ] as const)
        await syncAll(from!, to);
    const main = await mainAt(a!, rec.id);
    t.equal(await mainAt(b!, rec.id), main, 'B converged');
    t.equal(await mainAt(c!, rec.id), main, 'C converged');
    const bodies = await bodiesAt(c!, rec.id, rec.thread!);
    t.same([...bodies].sort(), ['A1', 'A2', 'A3', 'B1', 'B2', 'C1', 'C2', 'Start.'], 'every message exactly once');
    for (const site of [a!, b!, c!]) {
      const gitdir = site.s.server.context.records.path(rec.id as never);
      const verify = await ccr(['verify', gitdir]);
      t.equal(verify.status, 0, `ccr verify is clean at ${site.name}: ${verify.stdout}`);
      t.match(
        await gitOk(gitdir, ['--git-dir', gitdir, 'log', '--merges', '--format=%an %s', 'main']),
        /CCR Sync coordination:update: Merged concurrent updates/,
      );
    }
  },
);

t.test('a peer that rewrote its history is refused, and our main is kept', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({
    participants: [jane],
    message: { author_id: jane.participant_id, body: 'Original.' },
  });
  await write(t, a!, rec.id, rec.thread!, ['Second.']);
  await syncAll(a!, 'b');
  const before = await mainAt(a!, rec.id);
  // Someone at B rewrites the record on disk: the last commit's message edited, main forced.
  await commitOnDisk(t, b!, rec.id, rec.thread!, ['Second.', 'Rewritten.'], true);
  const rounds = await syncAll(a!, 'b');
  t.match(rounds, [{ outcome: 'refused-rewrite', detail: /history was rewritten/ }]);
  t.equal(await mainAt(a!, rec.id), before, 'our main is kept');
});

t.test(
  'a peer offering a commit that breaks a rule, or an unrelated history under the same id, is refused',
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
    await syncAll(a!, 'b');
    const before = await mainAt(a!, rec.id);
    // Someone at B adds a commit on disk, past the hook, that edits the earlier message.
    await commitOnDisk(t, b!, rec.id, rec.thread!, ['One.', 'Edited.'], false);
    t.match(await syncAll(a!, 'b'), [{ outcome: 'refused-invalid', findings: [{ rule: 'ccr/append-only' }] }]);
    t.equal(await mainAt(a!, rec.id), before, 'our main is kept');

    // The same record id created at both sites on its own: nothing in common to merge from.
    const id = randomUUID();
    for (const [site, place] of [
      [a!, 'Ward A'],
      [b!, 'Ward B'],
    ] as const) {
      t.equal(
        (
          await site.s.api('POST', '/api/records', site.s.admin, {
            coordination_id: id,
            clinical_id: clinicalId,
            care_location: place,
          })
        ).status,
        201,
      );
    }
    const ours = await mainAt(a!, id);
    t.match(
      (await syncAll(a!, 'b')).find((r) => r.record === id),
      { outcome: 'refused-unrelated' },
    );
    t.equal(await mainAt(a!, id), ours, 'our main is kept');
  },
);

t.test('a commit a round refused cannot come in later as a parent of a merge', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  // Someone at B appends, past the hook, a message with a bidi override; A's round fetches it and
  // refuses it, and so it lies in A's repository, never judged good.
  const gitdirB = b!.s.server.context.records.path(rec.id as never);
  const disk = `${tempDir(t)}/disk`;
  await gitOk('/', ['clone', '-q', gitdirB, disk]);
  const file = `${disk}/communications/${rec.thread}/messages.md`;
  writeFileSync(
    file,
    appendMessages(readFileSync(file, 'utf8'), [
      {
        id: '0badc0de-0000-4000-8000-000000000000' as MessageId,
        type: 'clinician',
        timestamp: new Date().toISOString() as Timestamp,
        authorId: jane.participant_id,
        author: jane.display_name,
        body: 'Give 5\u202E0 mg',
      },
    ]),
  );
  await gitOk(disk, ['commit', '-q', '-am', 'coordination:update: Added message to thread\n\nCare-Location: B']);
  await gitOk(gitdirB, ['--git-dir', gitdirB, 'fetch', '-q', disk, 'main:refs/heads/main']);
  t.match(await syncAll(a!, 'b'), [{ outcome: 'refused-invalid', findings: [{ rule: 'ccr/message-chars' }] }]);
  // At A, a new message; then someone pushes the deterministic merge of A's main and that commit.
  await write(t, a!, rec.id, rec.thread!, ['At A.']);
  const work = `${tempDir(t)}/m`;
  await gitOk('/', ['clone', '-q', a!.s.gitUrl(rec.id, a!.s.admin), work]);
  await gitOk(work, ['fetch', '-q', disk, 'main:refs/remotes/bad/main']);
  const [ours, bad] = [
    (await gitOk(work, ['rev-parse', 'main'])).trim(),
    (await gitOk(work, ['rev-parse', 'bad/main'])).trim(),
  ] as [Oid, Oid];
  const source = new IsoGitSource(`${work}/.git`);
  const merge = await buildSyncMerge(source, ours, bad, await gitMergeBase(`${work}/.git`, process.env)(ours, bad));
  if (!merge.ok) throw new Error(merge.conflict);
  await writeObjects(`${work}/.git`, merge.value.objects);
  await gitOk(work, ['update-ref', 'refs/heads/main', merge.value.oid]);
  const pushed = await gitRun(work, ['push', 'origin', 'main']);
  t.not(pushed.status, 0, 'refused');
  t.match(pushed.stderr, /remote: ccr\/message-chars /, 'the merged-in commit is judged like a pushed one');
  t.equal(await mainAt(a!, rec.id), ours, 'main unchanged');
});

t.test('a peer that is down is reported, local pushes keep working, and the next round catches up', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  const port = b!.s.server.port;
  const data = b!.s.data;
  await b!.s.server.close();
  await write(t, a!, rec.id, rec.thread!, ['While B is down.']);
  t.match(await syncAll(a!, 'b'), [{ outcome: 'peer-down' }], 'reported');
  // Whatever its address holds: git quotes the URL, and "404" in it once passed for a 404 answer.
  a!.peers.push({
    ...a!.peers.find((p) => p.name === 'b')!,
    name: 'b404',
    url: `http://127.0.0.1:${port}/404-not-found`,
  });
  t.match(await syncAll(a!, 'b404'), [{ outcome: 'peer-down' }], 'reported, whatever its URL says');
  const { startServer } = await import('../../server/index.js');
  const { ADMIN_TOKEN } = await import('../helpers/server.js');
  const { PassThrough } = await import('node:stream');
  const again = await startServer({
    data,
    port,
    adminToken: ADMIN_TOKEN,
    logStream: new PassThrough().resume(),
    validatorThreads: 1,
  });
  t.teardown(() => again.close());
  t.match(await syncAll(a!, 'b'), [{ outcome: 'pushed' }], 'the next round completes');
  t.equal(await again.context.records.open(rec.id as never).then((r) => r!.head()), await mainAt(a!, rec.id));
});

t.test('a peer that lists its main but drops our push is down, not refusing', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  await write(t, a!, rec.id, rec.thread!, ['At A.']);
  // As a peer that crashes between the round's look at its main and the push.
  const url = await link(t, b!.s.server.port, 0, (first) => first.includes('git-receive-pack'));
  a!.peers.push({ ...a!.peers.find((p) => p.name === 'b')!, name: 'b-drops', url });
  t.match(await syncAll(a!, 'b-drops'), [{ outcome: 'peer-down', refusedByPeer: undefined }], 'down: backed off');
  t.match(await syncAll(a!, 'b'), [{ outcome: 'pushed' }], 'the push lands when it can');
});

t.test('a merge that is not the deterministic one is refused by the peer', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  await write(t, a!, rec.id, rec.thread!, ['At A.']);
  await write(t, b!, rec.id, rec.thread!, ['At B.']);
  const work = `${tempDir(t)}/m`;
  await gitOk('/', ['clone', '-q', a!.s.gitUrl(rec.id, a!.s.admin), work]);
  await gitOk(work, ['pull', '-q', '--no-rebase', '--no-edit', b!.s.gitUrl(rec.id, b!.s.admin), 'main']).catch(
    () => undefined,
  );
  await gitRun(work, ['checkout', '-q', '--theirs', '.']);
  await gitRun(work, ['commit', '-qam', 'coordination:update: Merged\n\nCare-Location: X']);
  // Pushed as the peer site A is at B (merges come only from sites since issue 11.1).
  const asSite = a!.peers.find((p) => p.name === 'b')!;
  const pushed = await gitRun(work, ['push', b!.s.gitUrl(rec.id, { name: asSite.user, token: asSite.token! }), 'main']);
  t.not(pushed.status, 0);
  t.match(pushed.stderr, /remote: ccr\/merge[ :]/);
  const byAdmin = await gitRun(work, ['push', b!.s.gitUrl(rec.id, b!.s.admin), 'main']);
  t.match(byAdmin.stderr, /remote: ccr\/commit-parents[ :]/, 'from an admin, any merge is refused');
});
