// Everywhere CCR runs git or reads objects, it sees the objects as stored (issue 19.9): replace refs
// and grafts, which make plain git show a stand-in history, are ignored by CCR's git (gitEnv), by
// the cat-file reader and by the isomorphic-git store; and the server's git runs with the same.

import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { Oid } from '../../core/objects.js';
import { CatFileSource } from '../../git/catfile.js';
import { gitIsAncestor, gitMergeBase } from '../../git/mergeBase.js';
import { git, gitEnv, runGit } from '../../git/run.js';
import { IsoGitSource } from '../../git/store.js';
import { gitOk, testGitEnv } from '../helpers/git.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** A repository of five commits c1…c5 where a replace ref makes c5 look like a child of c1, and grafts make c4 one too. */
async function disguised(t: Test) {
  const repo = tempDir(t);
  const plain = { ...testGitEnv() };
  delete plain['GIT_NO_REPLACE_OBJECTS'];
  delete plain['GIT_GRAFT_FILE'];
  await gitOk(repo, ['init', '-q', '--initial-branch=main'], { env: plain });
  const c: string[] = [];
  for (let i = 1; i <= 5; i++) {
    writeFileSync(`${repo}/f`, `${i}\n`);
    await gitOk(repo, ['add', 'f'], { env: plain });
    await gitOk(repo, ['commit', '-q', '-m', `c${i}`], { env: plain });
    c.push((await gitOk(repo, ['rev-parse', 'HEAD'], { env: plain })).trim());
  }
  const standIn = (
    await gitOk(repo, ['commit-tree', '-p', c[0]!, '-m', 'stand-in', `${c[4]}^{tree}`], { env: plain })
  ).trim();
  await gitOk(repo, ['replace', c[4]!, standIn], { env: plain });
  writeFileSync(`${repo}/.git/info/grafts`, `${c[3]} ${c[0]}\n`);
  t.equal(
    (await gitOk(repo, ['rev-list', '--count', 'main'], { env: plain })).trim(),
    '2',
    'plain git sees the stand-in',
  );
  return { gitdir: `${repo}/.git`, c: c as Oid[], standIn };
}

t.test('gitEnv always turns replace refs and grafts off, whatever the caller adds', async (t) => {
  for (const env of [
    gitEnv(),
    gitEnv('/x/gitconfig', { GIT_NO_REPLACE_OBJECTS: '0', GIT_GRAFT_FILE: '/tmp/grafts' }),
  ]) {
    t.equal(env['GIT_NO_REPLACE_OBJECTS'], '1');
    t.match(env['GIT_GRAFT_FILE'], /^\/dev\/null\//, 'a graft file that cannot exist');
  }
});

t.test("CCR's git, merge bases, cat-file and isomorphic-git all see the stored history", async (t) => {
  const { gitdir, c, standIn } = await disguised(t);
  const listed = await runGit(['--git-dir', gitdir, 'rev-list', 'main']);
  t.equal(listed.stdout.toString().trim().split('\n').length, 5, 'rev-list walks all five commits');
  t.equal(listed.stderr, '', 'no advice about the graft file');
  t.equal((await git(['--git-dir', gitdir, 'rev-parse', 'main~1'])).trim(), c[3], 'the parent of main is c4');
  t.equal(await gitMergeBase(gitdir, gitEnv())(c[3]!, c[4]!), c[3], 'git merge-base');
  t.equal(await gitIsAncestor(gitdir, gitEnv())(c[2]!, c[4]!), true, 'git merge-base --is-ancestor');

  const cat = new CatFileSource(gitdir);
  t.teardown(() => cat.close());
  const iso = new IsoGitSource(gitdir);
  for (const [name, source] of [
    ['cat-file', cat],
    ['isomorphic-git', iso],
  ] as const) {
    const text = Buffer.from((await source.read(c[4]!))!.content).toString();
    t.match(text, `parent ${c[3]}`, `${name} reads c5 itself`);
    t.notMatch(text, standIn, `${name} does not read the stand-in`);
  }
});

t.test("the server's git runs with replace refs and grafts off", async (t) => {
  const s = await testServer(t);
  t.equal(s.server.context.gitEnv['GIT_NO_REPLACE_OBJECTS'], '1');
  t.match(s.server.context.gitEnv['GIT_GRAFT_FILE'], /^\/dev\/null\//);
});
