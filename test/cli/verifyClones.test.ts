// `ccr verify` on what an auditor really gets (issue 19.9, 19.10): a mirror clone carrying a replace
// ref, a clone with grafts, a shallow clone, a partial clone whose server is gone, a damaged
// repository. The history judged is always the one stored; what cannot be judged offline is
// said, with exit status 3; never a stack trace, never a network access.

import { unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import { BASE_TIME, RECORD } from '../corpus/memory.js';
import { MESSAGES, append, commitMessage, msg, recordSnapshot, threadSnapshot } from '../corpus/record.js';
import { ccr } from '../helpers/cli.js';
import { importCommits, type ImportCommit } from '../helpers/fastImport.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { testServer } from '../helpers/server.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { tempDir } from '../helpers/tmp.js';

/** Git as a user runs it, replace refs and grafts honoured (CCR's own git ignores them). */
function plainGitEnv(): NodeJS.ProcessEnv {
  const env = testGitEnv();
  delete env['GIT_NO_REPLACE_OBJECTS'];
  delete env['GIT_GRAFT_FILE'];
  return env;
}

const day = (d: number, h = 9) => Math.floor(Date.UTC(2026, 0, d, h) / 1000);
const at = (d: number) => `2026-01-${String(d).padStart(2, '0')}T09:00:00.000Z` as never;

/** The record's first two commits, then one commit per snapshot, each on the previous one. */
function chain(
  recordId: RecordId,
  root: string | null,
  more: Array<{ snapshot: Snapshot; message?: string }>,
): ImportCommit[] {
  const record = recordSnapshot(recordId);
  const first: ImportCommit[] = root
    ? []
    : [{ snapshot: record, parents: [], message: commitMessage.record, time: day(11, 14) }];
  const parents = [root ?? ':1'];
  const thread: ImportCommit = {
    snapshot: threadSnapshot(record),
    parents,
    message: commitMessage.thread,
    time: BASE_TIME / 1000,
  };
  const rest = more.map((c, i): ImportCommit => ({
    snapshot: c.snapshot,
    parents: [`:${first.length + i + 1}`],
    message: c.message ?? commitMessage.message,
    time: day(12 + i),
  }));
  return [...first, thread, ...rest];
}

/** A bare repository whose main holds the given commits. */
async function bare(t: Test, commits: ImportCommit[]): Promise<{ repo: string; shas: string[] }> {
  const repo = `${tempDir(t)}/origin.git`;
  await gitOk('/', ['init', '-q', '--bare', '--initial-branch=main', repo]);
  const shas = await importCommits(repo, commits);
  await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', shas[shas.length - 1]!]);
  return { repo, shas };
}

const thread = threadSnapshot(recordSnapshot(RECORD));
const m3 = append(thread, msg({ timestamp: at(12) }));
const edited = m3.edit(MESSAGES, (text) => text.replace('shortness of breath', 'no complaints'));
const m5 = append(edited, msg({ timestamp: at(14) }));

t.test(
  'a mirror clone whose replace ref stands in a clean history for an edited one: the stored history is judged',
  async (t) => {
    // main: record, thread, message, an edit of an earlier message, message. The stand-in: record, thread, one clean message.
    const clean = append(thread, msg({ timestamp: at(14) }));
    const standInCommit = { snapshot: clean, parents: [':2'], message: commitMessage.message, time: day(14) };
    const { repo, shas } = await bare(t, [
      ...chain(RECORD, null, [{ snapshot: m3 }, { snapshot: edited }, { snapshot: m5 }]),
      standInCommit,
    ]);
    const [, , , edit, tip, standIn] = shas;
    await gitOk(repo, ['--git-dir', repo, 'update-ref', 'refs/heads/main', tip!]);
    await gitOk(repo, ['--git-dir', repo, 'replace', tip!, standIn!], { env: plainGitEnv() });
    const mirror = `${tempDir(t)}/mirror.git`;
    await gitOk('/', ['clone', '-q', '--mirror', repo, mirror], { env: plainGitEnv() });
    t.match(
      await gitOk(mirror, ['--git-dir', mirror, 'for-each-ref', 'refs/replace']),
      tip!,
      'the mirror carries the replace ref',
    );
    const plainCount = (gitdir: string) =>
      gitOk(gitdir, ['--git-dir', gitdir, 'rev-list', '--count', 'main'], { env: plainGitEnv() });
    t.equal((await plainCount(mirror)).trim(), '3', 'plain git shows the clean stand-in');

    const r = await ccr(['verify', mirror]);
    t.equal(r.status, 1, 'exit status 1');
    t.match(r.stdout, new RegExp(`^${edit} ccr/append-only `, 'm'), 'the edit is found');
    t.match(r.stdout, /FAILED: \d+ violations? in 1 of 5 commits/, 'all five stored commits are judged');
  },
);

t.test('grafts that hide a bad commit are ignored', async (t) => {
  const bad = { snapshot: m3, message: 'coordination:update Added message to thread\n\nCare-Location: Ward 7\n' };
  const { repo, shas } = await bare(
    t,
    chain(RECORD, null, [bad, { snapshot: append(m3, msg({ timestamp: at(13) })) }]),
  );
  const [, threadCommit, hidden, tip] = shas;
  await import('node:fs').then((fs) => fs.writeFileSync(`${repo}/info/grafts`, `${tip} ${threadCommit}\n`));
  const plain = await gitOk(repo, ['--git-dir', repo, 'rev-list', '--count', 'main'], { env: plainGitEnv() });
  t.equal(plain.trim(), '3', 'plain git skips the bad commit');
  const r = await ccr(['verify', repo]);
  t.equal(r.status, 1, 'exit status 1');
  t.match(r.stdout, new RegExp(`^${hidden} ccr/commit-format`, 'm'), 'the hidden commit is judged');
  t.match(r.stdout, /of 4 commits/);
});

t.test('a shallow clone: what is there is judged, what is not is said, exit status 3', async (t) => {
  const m4 = append(m3, msg({ timestamp: at(13) }));
  const m5 = append(m4, msg({ timestamp: at(14) }));
  const { repo } = await bare(t, chain(RECORD, null, [{ snapshot: m3 }, { snapshot: m4 }, { snapshot: m5 }]));
  const shallow = `${tempDir(t)}/shallow`;
  await gitOk('/', ['clone', '-q', '--depth', '2', `file://${repo}`, shallow]);
  const boundary = (await gitOk(shallow, ['rev-parse', 'main~1'])).trim();
  const r = await ccr(['verify', shallow]);
  t.equal(r.status, 3, 'exit status 3');
  t.notMatch(r.stderr, /^\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
  t.match(
    r.stdout,
    /^INCOMPLETE: 1 of 2 commits of record 7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88 judged here keep every rule/m,
  );
  t.match(
    r.stdout,
    new RegExp(
      `not verifiable here: this is a shallow clone: the history before ${boundary.slice(0, 12)} is not in it`,
    ),
  );
  t.match(r.stdout, new RegExp(`commit ${boundary} was not judged: it needs object [0-9a-f]{40}`));
  const json = JSON.parse((await ccr(['verify', shallow, '--json'])).stdout);
  t.match(json, {
    ok: true,
    complete: false,
    commits: 2,
    judged: 1,
    shallow: [boundary],
    unjudged: [{ commit: boundary }],
  });
});

t.test('a shallow clone whose visible part breaks a rule fails with exit status 1', async (t) => {
  const m4 = append(m3, msg({ timestamp: at(13) }));
  const edit = m4.edit(MESSAGES, (x) => x.replace('shortness of breath', 'no complaints'));
  const { repo, shas } = await bare(t, chain(RECORD, null, [{ snapshot: m3 }, { snapshot: m4 }, { snapshot: edit }]));
  const shallow = `${tempDir(t)}/shallow`;
  await gitOk('/', ['clone', '-q', '--depth', '2', `file://${repo}`, shallow]);
  const r = await ccr(['verify', shallow]);
  t.equal(r.status, 1, 'exit status 1');
  t.match(r.stdout, new RegExp(`^${shas[shas.length - 1]} ccr/append-only`, 'm'));
  t.match(r.stdout, /FAILED: 1 violation in 1 of 2 commits of record \S+ \(1 judged\)/);
  t.match(r.stdout, /not verifiable here: this is a shallow clone/);
});

t.test(
  'a partial clone whose server is gone: verified offline as far as it goes, no connection attempted',
  async (t) => {
    const s = await testServer(t);
    const { id } = await s.record();
    const work = tempDir(t);
    await gitOk(work, ['init', '-q']);
    await gitOk(work, ['fetch', '-q', s.gitUrl(id, s.admin), 'main']);
    const root = (await gitOk(work, ['rev-parse', 'FETCH_HEAD'])).trim();
    const base = threadSnapshot(recordSnapshot(id as RecordId));
    const a = append(base, msg({ timestamp: at(12) }));
    const b = append(a, msg({ timestamp: at(13) }));
    const shas = await importCommits(`${work}/.git`, chain(id as RecordId, root, [{ snapshot: a }, { snapshot: b }]));
    const push = await gitRun(work, ['push', s.gitUrl(id, s.admin), `${shas[shas.length - 1]}:refs/heads/main`]);
    t.equal(push.status, 0, push.stderr);

    const clone = `${tempDir(t)}/partial`;
    await gitOk('/', ['clone', '-q', '--filter=blob:none', s.gitUrl(id, s.admin), clone]);
    const missingBefore = await gitOk(clone, ['rev-list', '--objects', '--missing=print', 'main']);
    t.match(missingBefore, /^\?[0-9a-f]{40}$/m, 'the clone lacks some blobs');

    // The server goes away; whatever listens on its port now counts connections.
    await s.server.close();
    const port = Number(new URL(s.url).port);
    const connections: Socket[] = [];
    const listener = createServer((c) => {
      connections.push(c);
      c.destroy();
    });
    await new Promise<void>((resolve, reject) => listener.once('error', reject).listen(port, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => listener.close(() => resolve())));

    const r = await ccr(['verify', clone, '--json']);
    t.equal(r.status, 3, `exit status 3: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    t.match(report, { ok: true, complete: false, commits: 4, promisors: ['origin: filter blob:none'] });
    t.ok(report.missingObjects > 0, 'it says how many objects are missing');
    const { judged, unjudged } = report as { judged: number; unjudged: unknown[] };
    t.ok(
      judged >= 1 && unjudged.length >= 1,
      `some commits judged (${judged}), the others listed (${unjudged.length})`,
    );
    t.match(report.notVerifiable, [
      /^this is a partial clone \(origin: filter blob:none\): \d+ objects of main's history were left out/,
    ]);
    const text = await ccr(['verify', clone]);
    t.match(text.stdout, /^INCOMPLETE: \d of 4 commits/m);
    t.equal(connections.length, 0, 'no connection to the server was attempted');
    t.equal(
      await gitOk(clone, ['rev-list', '--objects', '--missing=print', 'main']),
      missingBefore,
      'nothing was fetched',
    );
  },
);

t.test('a repository that lost an object: the commits needing it are listed, no stack trace', async (t) => {
  const { repo, shas } = await bare(
    t,
    chain(RECORD, null, [{ snapshot: m3 }, { snapshot: append(m3, msg({ timestamp: at(13) })) }]),
  );
  const blob = (await gitOk(repo, ['--git-dir', repo, 'rev-parse', `${shas[2]}:${MESSAGES}`])).trim();
  unlinkSync(`${repo}/objects/${blob.slice(0, 2)}/${blob.slice(2)}`);
  const r = await ccr(['verify', repo]);
  t.equal(r.status, 3, 'exit status 3');
  t.notMatch(r.stderr, /^\s+at .*:\d+:\d+\)?$/m, 'no stack trace');
  t.match(r.stdout, new RegExp(`commit ${shas[2]} was not judged: it needs object ${blob}`));
});

t.test('a repository without main is a usage error', async (t) => {
  const repo = `${tempDir(t)}/empty.git`;
  await gitOk('/', ['init', '-q', '--bare', repo]);
  const r = await ccr(['verify', repo]);
  t.equal(r.status, 2);
  t.match(r.stderr, /has no branch main/);
});
