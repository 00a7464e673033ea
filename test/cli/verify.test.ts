import t, { type Test } from 'tap';
import { cases } from '../corpus/cases.js';
import { BASE_TIME, RECORD, planCase } from '../corpus/memory.js';
import { T, append, commitMessage, msg, recordSnapshot, threadSnapshot } from '../corpus/record.js';
import { ccr } from '../helpers/cli.js';
import { importCommits } from '../helpers/fastImport.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A bare repository whose main is the base record, then a corpus case's commits, then one more good commit. */
async function history(t: Test, caseName?: string) {
  const repo = `${tempDir(t)}/r.git`;
  await gitOk('/', ['init', '-q', '--bare', '--initial-branch=main', repo]);
  const record = recordSnapshot(RECORD);
  const base = threadSnapshot(record);
  const [root, thread] = await importCommits(repo, [
    {
      snapshot: record,
      parents: [],
      message: commitMessage.record,
      time: Math.floor(Date.UTC(2026, 0, 11, 14, 35) / 1000),
    },
    { snapshot: base, parents: [':1'], message: commitMessage.thread, time: BASE_TIME / 1000 },
  ]);
  let head = thread!;
  let last = base;
  if (caseName) {
    const plan = planCase(
      base,
      cases.find((x) => x.name === caseName)!,
    );
    const shas = await importCommits(
      repo,
      plan.map((p) => ({
        snapshot: p.snapshot,
        message: p.message,
        time: Math.floor(p.time / 1000),
        parents: p.parents.map((x) => (x === 'base' ? thread! : `:${x + 1}`)),
      })),
    );
    head = shas[shas.length - 1]!;
    last = plan[plan.length - 1]!.snapshot;
  }
  // A good commit after the bad one, where the thread still exists: the walk goes on past it.
  const later = last.files.has(`${T}/messages.md`)
    ? append(last, msg({ timestamp: '2026-02-01T10:00:00.000Z' as never }))
    : null;
  const [tip] = later
    ? await importCommits(repo, [
        {
          snapshot: later,
          parents: [head],
          message: commitMessage.message,
          time: Math.floor(Date.UTC(2026, 1, 1, 10) / 1000),
        },
      ])
    : [head];
  await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', tip!]);
  return { repo, root: root!, tip: tip! };
}

t.test('a clean history verifies, from a bare repository and from a clone', async (t) => {
  const { repo } = await history(t);
  const r = await ccr(['verify', repo]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^ok: 3 commits of record 7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88 keep every rule/);
  t.match(r.stdout, /not judged offline: who may push what/);
  const clone = `${tempDir(t)}/clone`;
  await gitOk('/', ['clone', '-q', repo, clone]);
  t.equal((await ccr(['verify'], { cwd: clone })).status, 0, 'a clone, from inside it');
  const json = await ccr(['verify', repo, '--json']);
  t.match(JSON.parse(json.stdout), { ok: true, commits: 3, findings: [] });
});

for (const name of [
  'refuses an edit of an earlier message',
  'refuses the deletion of a thread folder',
  'refuses a ledger change without a system message',
  'refuses a merge commit that is not the deterministic sync merge',
  'refuses a symbolic link',
]) {
  t.test(
    `a history in which someone ${name.replace(/^refuses /, 'slipped ')} fails, naming commit, rule and path`,
    async (t) => {
      const c = cases.find((x) => x.name === name)!;
      const { repo } = await history(t, name);
      const r = await ccr(['verify', repo]);
      t.equal(r.status, 1);
      t.match(r.stdout, new RegExp(`^[0-9a-f]{40} ${c.expect}[ :]`, 'm'));
      t.match(r.stdout, /FAILED: \d+ violations? in \d+ of \d+ commits/);
    },
  );
}

t.test('a path that is not a repository is a usage error', async (t) => {
  const r = await ccr(['verify', tempDir(t)]);
  t.equal(r.status, 2);
  t.match(r.stderr, /is not a git repository/);
});
