// Finding a working copy's git folder without starting git (cli/gitDir.ts, issue 17): where the
// quick look answers, it answers what `git rev-parse --absolute-git-dir` answers; every layout it
// does not know (a bare repository, a worktree's .git file, git's discovery variables) is left to git.

import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { findGitDir, gitDirOf } from '../../cli/gitDir.js';
import { remotesWithTokens } from '../../cli/credentials.js';
import { readRef } from '../../git/refs.js';
import { gitIn, testGitEnv } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

const env = testGitEnv();
const gitSays = (cwd: string) => realpathSync(gitIn(cwd, ['rev-parse', '--absolute-git-dir']).trim());

t.test('a clone and a folder deep inside it: the same folder git names, found without git', async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  mkdirSync(`${root}/wc/communications/a/b`, { recursive: true });
  for (const at of [`${root}/wc`, `${root}/wc/communications/a/b`]) {
    t.equal(findGitDir(at, env), `${root}/wc/.git`, at);
    t.equal(findGitDir(at, env), gitSays(at));
    t.equal(await gitDirOf(at), gitSays(at));
  }
  // Through a symbolic link to the clone: the real path, as git gives it.
  symlinkSync(`${root}/wc`, `${root}/link`);
  t.equal(findGitDir(`${root}/link`, env), gitSays(`${root}/link`));
});

t.test('layouts left to git: bare repository, worktree, discovery variables, a .git without HEAD', async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '--bare', '-b', 'main', 'bare.git']);
  mkdirSync(`${root}/bare.git/refs/sub`, { recursive: true });
  t.equal(findGitDir(`${root}/bare.git`, env), undefined, 'a bare repository');
  t.equal(findGitDir(`${root}/bare.git/refs/sub`, env), undefined, 'a folder inside a bare repository');
  t.equal(await gitDirOf(`${root}/bare.git`), `${root}/bare.git`, 'git names it');

  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  gitIn(`${root}/wc`, ['commit', '-q', '--allow-empty', '-m', 'first']);
  gitIn(`${root}/wc`, ['worktree', 'add', '-q', `${root}/other`, '-b', 'other']);
  t.equal(findGitDir(`${root}/other`, env), undefined, "a worktree's .git file");
  t.equal(await gitDirOf(`${root}/other`), gitSays(`${root}/other`));

  t.equal(findGitDir(`${root}/wc`, { ...env, GIT_DIR: `${root}/bare.git` }), undefined, 'GIT_DIR');
  t.equal(findGitDir(`${root}/wc`, { ...env, GIT_CEILING_DIRECTORIES: root }), undefined, 'ceiling');

  // A .git folder git does not take for a repository (no HEAD): git looks further up; so does git here.
  mkdirSync(`${root}/wc/inner/.git`, { recursive: true });
  t.equal(findGitDir(`${root}/wc/inner`, env), undefined);
  t.equal(await gitDirOf(`${root}/wc/inner`), `${root}/wc/.git`);

  mkdirSync(`${root}/plain`);
  await t.rejects(gitDirOf(`${root}/plain`), /is not a git repository/);
});

t.test("remotes holding tokens: none read without git when the config has no '@'; found when it has", async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  const gitdir = `${root}/wc/.git`;
  gitIn(`${root}/wc`, ['remote', 'add', 'origin', 'https://ccr.example.org/coordination/x.git']);
  t.same(await remotesWithTokens(gitdir), []);
  gitIn(`${root}/wc`, ['remote', 'add', 'leaky', 'https://jane:ccr_secret@ccr.example.org/coordination/x.git']);
  t.same(await remotesWithTokens(gitdir), [
    { remote: 'leaky', url: 'https://ccr.example.org/coordination/x.git', user: 'jane' },
  ]);
  // A URL in an included file: the quick look cannot see it, so git is asked.
  gitIn(`${root}/wc`, ['remote', 'remove', 'leaky']);
  writeFileSync(`${root}/extra.config`, '[remote "inc"]\n\turl = https://jane:ccr_other@ccr.example.org/x.git\n');
  gitIn(`${root}/wc`, ['config', 'include.path', `${root}/extra.config`]);
  t.same(await remotesWithTokens(gitdir), [{ remote: 'inc', url: 'https://ccr.example.org/x.git', user: 'jane' }]);
});

t.test('what git would not take, or cannot be read, is left to git rather than guessed or thrown', async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  // A .git with a HEAD but no objects/ or refs/: not a repository to git, which looks further up.
  mkdirSync(`${root}/wc/inner/.git`, { recursive: true });
  writeFileSync(`${root}/wc/inner/.git/HEAD`, 'ref: refs/heads/main\n');
  t.equal(findGitDir(`${root}/wc/inner`, env), undefined);
  t.equal(await gitDirOf(`${root}/wc/inner`), `${root}/wc/.git`);
  // A HEAD that names nothing git knows.
  mkdirSync(`${root}/odd/.git/objects`, { recursive: true });
  mkdirSync(`${root}/odd/.git/refs`, { recursive: true });
  writeFileSync(`${root}/odd/.git/HEAD`, 'not a ref\n');
  t.equal(findGitDir(`${root}/odd`, env), undefined);
  // A link loop on the way up (stat gives ELOOP, not ENOENT) and a file as the path (ENOTDIR): no throw.
  mkdirSync(`${root}/wc/loop`);
  symlinkSync('HEAD', `${root}/wc/loop/HEAD`);
  t.doesNotThrow(() => findGitDir(`${root}/wc/loop`, env));
  t.equal(await gitDirOf(`${root}/wc/loop`), gitSays(`${root}/wc/loop`));
  writeFileSync(`${root}/plain-file`, '');
  t.equal(findGitDir(`${root}/plain-file/x`, env), undefined);
});

t.test("an include written on one line with another section ('[core][include]') is still followed", async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  writeFileSync(`${root}/inc.cfg`, '[remote "x"]\n\tpushurl = https://jane:ccr_secret@ccr.example.org/x.git\n');
  const config = `${root}/wc/.git/config`;
  writeFileSync(config, `${readFileSync(config, 'utf8')}[core][include]\n\tpath = ${root}/inc.cfg\n`);
  t.same(await remotesWithTokens(`${root}/wc/.git`), [
    { remote: 'x', url: 'https://ccr.example.org/x.git', user: 'jane' },
  ]);
});

t.test('a symbolic ref that loops ends as no ref (git stops after five), not as a hang', async (t) => {
  const root = realpathSync(tempDir(t));
  gitIn(root, ['init', '-q', '-b', 'main', 'wc']);
  gitIn(`${root}/wc`, ['commit', '-q', '--allow-empty', '-m', 'first']);
  t.match(await readRef(`${root}/wc/.git`, 'HEAD'), /^[0-9a-f]{40}$/);
  writeFileSync(`${root}/wc/.git/refs/heads/main`, 'ref: refs/heads/main\n');
  t.equal(await readRef(`${root}/wc/.git`, 'HEAD'), null);
});
