// Malformed git objects pushed with the git CLI (issue 19.8): the server refuses each one, with
// git's fsck line where git knows the problem (receive.fsckObjects), else with ccr/object-format
// from the hook; main never moves, and the good commit they were made from is then accepted.

import { readFileSync } from 'node:fs';
import t from 'tap';
import type { RecordId } from '../../core/ids.js';
import { objectCases } from '../corpus/objects.js';
import { BASE_TIME } from '../corpus/memory.js';
import { append, commitMessage, msg, recordSnapshot, threadSnapshot } from '../corpus/record.js';
import { importCommits } from '../helpers/fastImport.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { golden, remoteLines, slug, writtenUuids } from '../helpers/golden.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

t.test('malformed trees and commits pushed with the git CLI are refused', async (t) => {
  const s = await testServer(t);
  const repo = tempDir(t);
  await gitOk(repo, ['init', '-q']);
  const gitdir = `${repo}/.git`;
  const ls = async (id: string) =>
    (await gitOk(repo, ['ls-remote', s.gitUrl(id, s.admin), 'refs/heads/main'])).split('\t')[0];
  const stable = writtenUuids('test/corpus/objects.ts', 'test/corpus/record.ts', 'test/helpers/people.ts');

  for (const c of objectCases.filter((x) => !x.unpushable)) {
    await t.test(c.name, async (t) => {
      const { id } = await s.record();
      await gitOk(repo, ['fetch', '-q', s.gitUrl(id, s.admin), 'main']);
      const root = (await gitOk(repo, ['rev-parse', 'FETCH_HEAD'])).trim();
      const thread = threadSnapshot(recordSnapshot(id as RecordId));
      const [base, good] = await importCommits(gitdir, [
        { snapshot: thread, parents: [root], message: commitMessage.thread, time: BASE_TIME / 1000 },
        {
          snapshot: append(thread, msg()),
          parents: [':1'],
          message: commitMessage.message,
          time: Date.UTC(2026, 0, 12, 9, 0, 5) / 1000,
        },
      ]);
      t.equal(
        (await gitRun(repo, ['push', s.gitUrl(id, s.admin), `${base}:refs/heads/main`])).status,
        0,
        'the base thread is accepted',
      );

      const bad = await c.make(gitdir, good!);
      const push = await gitRun(repo, ['push', s.gitUrl(id, s.admin), `${bad}:refs/heads/main`]);
      t.not(push.status, 0, 'refused');
      if (c.fsck) {
        t.match(
          push.stderr,
          new RegExp(`remote: error: object [0-9a-f]{40}: ${c.fsck}: `),
          `git's fsck names ${c.fsck}:\n${push.stderr}`,
        );
      } else {
        t.match(
          push.stderr,
          new RegExp(`remote: ${c.expect}( \\S+)?: expected `),
          `the remote: lines name ${c.expect}:\n${push.stderr}`,
        );
        t.match(push.stderr, /pre-receive hook declined/);
      }
      t.equal(await ls(id), base, 'main is unchanged');
      // The remote: lines a person reads are pinned, as the commit corpus's are (issue 12, item 7).
      const lines = remoteLines(push.stderr, id, stable);
      const file = `test/corpus/golden/objects/${slug(c.name)}.txt`;
      const { expected, written } = golden(file, lines);
      if (!written)
        t.equal(lines, expected, `the remote: lines are those of ${file} (CCR_UPDATE_GOLDEN=1 rewrites it)`);
      const log = readFileSync(`${s.data}/access.log`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const refusal = log
        .filter((e) => e.record === id && e.method === 'POST' && e.service === 'git-receive-pack')
        .pop();
      t.match(refusal, { outcome: c.fsck ? 'refused-objects' : 'refused' }, 'the access log records a refusal');

      const neighbour = await gitRun(repo, ['push', s.gitUrl(id, s.admin), `${good}:refs/heads/main`]);
      t.equal(neighbour.status, 0, `the good commit it was made from is accepted: ${neighbour.stderr}`);
    });
  }
});
