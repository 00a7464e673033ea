// `ccr verify` on a history holding objects git's writers never make (issue 19.8): an auditor's
// clone runs no fsck, so the verifier refuses malformed trees and commits itself, as fsck does.

import t, { type Test } from 'tap';
import { objectCases } from '../corpus/objects.js';
import { BASE_TIME, RECORD } from '../corpus/memory.js';
import { T, THREAD, append, commitMessage, msg, recordSnapshot, threadSnapshot } from '../corpus/record.js';
import { ccr } from '../helpers/cli.js';
import { importCommits } from '../helpers/fastImport.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { lsTree, withThreadTree } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';

/** A bare repository holding the base record and a good commit appending a message (main at the base thread). */
async function base(t: Test): Promise<{ repo: string; good: string }> {
  const repo = `${tempDir(t)}/r.git`;
  await gitOk('/', ['init', '-q', '--bare', '--initial-branch=main', repo]);
  const record = recordSnapshot(RECORD);
  const thread = threadSnapshot(record);
  const [, , good] = await importCommits(repo, [
    {
      snapshot: record,
      parents: [],
      message: commitMessage.record,
      time: Math.floor(Date.UTC(2026, 0, 11, 14, 35) / 1000),
    },
    { snapshot: thread, parents: [':1'], message: commitMessage.thread, time: BASE_TIME / 1000 },
    {
      snapshot: append(thread, msg()),
      parents: [':2'],
      message: commitMessage.message,
      time: Date.UTC(2026, 0, 12, 9, 0, 5) / 1000,
    },
  ]);
  return { repo, good: good! };
}

t.test('the good commit the malformed ones are made from verifies', async (t) => {
  const { repo, good } = await base(t);
  await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', good]);
  const r = await ccr(['verify', repo]);
  t.equal(r.status, 0, 'exit status 0');
  t.match(r.stdout, /^ok: 3 commits/);
});

t.test('two messages.md in one folder: the verifier refuses what a checkout would show differently', async (t) => {
  const { repo, good } = await base(t);
  const bad = await objectCases[0]!.make(repo, good);
  await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', bad]);
  const shown = await gitOk(repo, ['--git-dir', repo, 'ls-tree', bad, `${T}/`]);
  t.equal(
    shown.split('\n').filter((l) => l.endsWith('\tmessages.md') || l.endsWith('/messages.md')).length,
    2,
    'git lists both files',
  );
  const fsck = await gitRun(repo, ['--git-dir', repo, 'fsck', '--no-dangling']);
  t.match(fsck.stdout + fsck.stderr, /duplicateEntries/, 'git fsck agrees');
  const r = await ccr(['verify', repo, '--json']);
  t.equal(r.status, 1);
  const report = JSON.parse(r.stdout);
  const message = /^expected each name once in a tree, found `messages\.md` twice/;
  t.match(report.findings, [{ rule: 'ccr/object-format', path: T, commit: bad, message }]);
});

for (const c of objectCases) {
  t.test(`a history with ${c.name} fails with ${c.expect}`, async (t) => {
    const { repo, good } = await base(t);
    const bad = await c.make(repo, good);
    await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', bad]);
    if (c.fsck) {
      const fsck = await gitRun(repo, ['--git-dir', repo, 'fsck', '--no-dangling']);
      t.match(fsck.stdout + fsck.stderr, new RegExp(c.fsck), `git fsck reports ${c.fsck}`);
    }
    const r = await ccr(['verify', repo]);
    t.equal(r.status, 1, 'exit status 1');
    t.match(
      r.stdout,
      new RegExp(`^${bad} ${c.expect}( \\S+)?: expected `, 'm'),
      'one line names the commit and the rule',
    );
    t.match(r.stdout, /FAILED: \d+ violations? in 1 of 3 commits/);
    t.notMatch(r.stderr, /^\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
  });
}

t.test(
  "a name holding a terminal escape sequence is printed escaped, not sent to the auditor's terminal",
  async (t) => {
    const { repo, good } = await base(t);
    const entries = await lsTree(repo, `${good}:communications/${THREAD}`);
    const bad = await withThreadTree(repo, good, THREAD, [...entries, ['100644', 'zz\u001b[2J\u202e', entries[0]![2]]]);
    await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', bad]);
    const r = await ccr(['verify', repo]);
    t.equal(r.status, 1);
    t.notMatch(r.stdout, /[\u001b\u202e]/, 'no raw escape or bidi control in the output');
    t.match(r.stdout, /zz\\u001b\[2J\\u202e/, 'the name shown with its controls escaped');
  },
);
