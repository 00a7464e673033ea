// The hostile push corpus over HTTP: every case of test/corpus pushed with the git CLI, refused
// with its rule id in the `remote:` lines and main unchanged, or (a good neighbour) accepted. The
// `remote:` lines of every case are pinned in test/corpus/golden/ (CCR_UPDATE_GOLDEN=1 rewrites
// them), so a change to what a pusher reads shows in review. Played by test/server/corpus*.test.ts.

import type { Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import { cases, type Pusher } from '../corpus/cases.js';
import { BASE_TIME, planCase } from '../corpus/memory.js';
import { commitMessage, recordSnapshot, threadSnapshot, uuidOf } from '../corpus/record.js';
import { importCommits } from './fastImport.js';
import { golden, remoteLines, slug, writtenUuids } from './golden.js';
import { gitOk, gitRun } from './git.js';
import { clinicalId, place } from './people.js';
import { castPrincipals, judgedAhead, testServer, type Creds } from './server.js';
import { tempDir } from './tmp.js';

/** Push every `of`-th case of the corpus, starting at `shard` (0-based): the corpus is played in
 * several test files so that each stays well inside the per-file time-out on a busy machine. */
export async function pushCorpus(t: Test, shard: number, of: number): Promise<void> {
  const s = await testServer(t, { validatorThreads: 2 });
  const cast = await castPrincipals(s);
  const pushers: Record<Pusher, Creds> = {
    ...cast,
    admin: s.admin,
    integration: await s.principal({ name: 'engine', kind: 'integration' }),
    site: await s.principal({ name: 'peer', kind: 'site' }),
  };
  const repo = tempDir(t);
  await gitOk(repo, ['init', '-q']);
  const ls = async (id: string) =>
    (await gitOk(repo, ['ls-remote', s.gitUrl(id, s.admin), 'refs/heads/main'])).split('\t')[0];

  t.equal(new Set(cases.map((c) => slug(c.name))).size, cases.length, 'every case has a golden file of its own');
  const stable = writtenUuids('test/corpus/cases.ts', 'test/corpus/record.ts', 'test/helpers/people.ts');
  for (const c of cases.filter((_, i) => i % of === shard)) {
    await t.test(c.name, async (t) => {
      // Each case's record has an id and a first commit of its own that are the same on every run
      // (a record re-created with `root`), so its commits, and what the rules say of them, are too.
      const id = uuidOf(c.name);
      const made = await s.api('POST', '/api/records', s.admin, {
        clinical_id: clinicalId,
        care_location: place,
        coordination_id: id,
        root: { name: 'CCR Test', email: 'test@ccr.invalid', time: BASE_TIME / 1000 - 360 },
      });
      t.equal(made.status, 201, 'the record is created');
      await gitOk(repo, ['fetch', '-q', s.gitUrl(id, s.admin), 'main']);
      const root = (await gitOk(repo, ['rev-parse', 'FETCH_HEAD'])).trim();
      const base = threadSnapshot(recordSnapshot(id as RecordId));
      const [baseSha] = await importCommits(`${repo}/.git`, [
        { snapshot: base, parents: [root], message: commitMessage.thread, time: BASE_TIME / 1000 },
      ]);
      const basePush = await gitRun(repo, ['push', s.gitUrl(id, s.admin), `${baseSha}:refs/heads/main`]);
      t.equal(basePush.status, 0, `the base thread is accepted ${basePush.stderr}`);

      const plan = planCase(base, c);
      const shas = await importCommits(
        `${repo}/.git`,
        plan.map((p) => ({
          snapshot: p.snapshot,
          message: p.message,
          time: Math.floor(p.time / 1000),
          parents: p.parents.map((x) => (x === 'base' ? baseSha! : `:${x + 1}`)),
        })),
      );
      const head = shas[shas.length - 1]!;
      const usedAhead = async () =>
        Object.entries(await judgedAhead(s)).filter(([k]) => k === 'used' || k === 'landed');
      const used = await usedAhead();
      const push = await gitRun(repo, ['push', s.gitUrl(id, pushers[c.as]), `${head}:refs/heads/main`]);
      if (c.expect === null) {
        t.equal(push.status, 0, `accepted: ${push.stderr}`);
        t.equal(await ls(id), head, 'main moved');
      } else {
        t.not(push.status, 0, 'refused');
        t.match(
          push.stderr,
          new RegExp(`remote: ${c.expect}[ :]`),
          `the remote: lines name ${c.expect}:\n${push.stderr}`,
        );
        t.match(push.stderr, /pre-receive hook declined/);
        t.equal(await ls(id), baseSha, 'main is unchanged');
        t.same(await usedAhead(), used, 'no judgement ahead was used for it');
      }
      const lines = remoteLines(push.stderr, id, stable);
      const file = `test/corpus/golden/${slug(c.name)}.txt`;
      const { expected, written } = golden(file, lines);
      if (!written)
        t.equal(lines, expected, `the remote: lines are those of ${file} (CCR_UPDATE_GOLDEN=1 rewrites it)`);
    });
  }
}
