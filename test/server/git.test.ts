import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { Agent } from 'node:http';
import isoHttp from 'isomorphic-git/http/node';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const thread = { participants: [jane, tom], message: { author_id: jane.participant_id, body: 'First message.' } };

t.test('clone, fetch and push round trip with the git CLI, protocol v2 for fetches', async (t) => {
  const s = await testServer(t);
  const { jane: janeCreds } = await castPrincipals(s);
  const rec = await s.record(thread);
  const work = tempDir(t);
  const trace = await gitRun(work, ['clone', s.gitUrl(rec.id, janeCreds), 'a'], {
    env: testGitEnv({ GIT_TRACE_PACKET: '1' }),
  });
  t.equal(trace.status, 0, trace.stderr.slice(-500));
  t.match(trace.stderr, /clone< version 2/, 'the fetch speaks protocol v2');
  t.match(fs.readFileSync(`${work}/a/communications/${rec.thread}/messages.md`, 'utf8'), /First message\.\n$/);
  const svc = await CoordinationService.at(`${work}/a`);
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Pushed with the git CLI.' });
  const push = await gitRun(`${work}/a`, ['push', 'origin', 'main']);
  t.equal(push.status, 0, push.stderr);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'b']);
  t.equal(
    await gitOk(`${work}/b`, ['rev-parse', 'HEAD']),
    await gitOk(`${work}/a`, ['rev-parse', 'HEAD']),
    'a second clone sees the push',
  );
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Again.' });
  t.equal((await gitRun(`${work}/a`, ['push', '-q', 'origin', 'main'])).status, 0);
  t.equal((await gitRun(`${work}/b`, ['pull', '-q', '--ff-only'])).status, 0, 'fetch brings it');
  t.equal(await gitOk(`${work}/b`, ['rev-parse', 'HEAD']), await gitOk(`${work}/a`, ['rev-parse', 'HEAD']));
  await gitOk(`${work}/b`, ['fsck', '--strict']);
});

// Node's global agent closes a socket idle for 5 s, which isomorphic-git's client reports as a
// failed request; a push judged on a busy machine can take longer than that to answer.
const http = { request: (r: Parameters<typeof isoHttp.request>[0]) => isoHttp.request({ ...r, agent: new Agent() }) };

t.test('isomorphic-git clones and pushes through the same server', async (t) => {
  const s = await testServer(t);
  const { tom: tomCreds } = await castPrincipals(s);
  const rec = await s.record(thread);
  const dir = `${tempDir(t)}/iso`;
  const onAuth = () => ({ username: tomCreds.name, password: tomCreds.token });
  await git.clone({
    fs,
    http,
    dir,
    url: `${s.url}/coordination/${rec.id}.git`,
    onAuth,
    singleBranch: true,
    ref: 'main',
  });
  t.ok(fs.existsSync(`${dir}/communications/${rec.thread}/ledger.yaml`));
  const svc = await CoordinationService.at(dir);
  const id = await svc.addMessage(committer, place, rec.thread!, {
    author: as(tom),
    body: 'Pushed with isomorphic-git.',
  });
  const pushed = await git.push({ fs, http, dir, url: `${s.url}/coordination/${rec.id}.git`, ref: 'main', onAuth });
  t.ok(pushed.ok, JSON.stringify(pushed));
  const check = tempDir(t);
  await gitOk(check, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  t.match(fs.readFileSync(`${check}/c/communications/${rec.thread}/messages.md`, 'utf8'), id);
});

t.test("a push larger than git's 1 MiB post buffer goes through", async (t) => {
  const s = await testServer(t);
  const rec = await s.record(thread);
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'a']);
  const svc = await CoordinationService.at(`${work}/a`);
  for (let i = 0; i < 24; i++) {
    const noise = Array.from({ length: 12 }, () => randomBytes(3000).toString('base64')).join('\n\n');
    await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: `Scan ${i}:\n\n${noise}` });
  }
  const push = await gitRun(`${work}/a`, ['push', 'origin', 'main'], {
    env: testGitEnv({ GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' }),
  });
  t.equal(push.status, 0, push.stderr.slice(-800));
  t.match(push.stderr, /Transfer-Encoding: chunked/i, 'the body was sent in chunks (over the post buffer)');
  t.equal((await s.api('GET', `/api/records/${rec.id}`, s.admin)).body.threads[0].message_count, 25);
});

t.test('two pushes racing on one record: one wins, the other is told to fetch, nothing is lost', async (t) => {
  const s = await testServer(t);
  const rec = await s.record(thread);
  const work = tempDir(t);
  for (const c of ['a', 'b']) await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), c]);
  const a = await CoordinationService.at(`${work}/a`);
  const b = await CoordinationService.at(`${work}/b`);
  await a.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'From A.' });
  await b.addMessage(committer, place, rec.thread!, { author: as(tom), body: 'From B.' });
  const push = (c: string) => gitRun(`${work}/${c}`, ['push', 'origin', 'main']);
  const [ra, rb] = await Promise.all([push('a'), push('b')]);
  t.equal([ra.status, rb.status].filter((x) => x === 0).length, 1, 'exactly one push wins');
  const loser = ra.status === 0 ? 'b' : 'a';
  t.match(ra.status === 0 ? rb.stderr : ra.stderr, /fetch first|failed to update ref|rejected|non-fast-forward/);
  // The loser fetches, writes its message again on the new main, and pushes.
  await gitOk(`${work}/${loser}`, ['fetch', '-q', 'origin']);
  await gitOk(`${work}/${loser}`, ['reset', '-q', '--hard', 'origin/main']);
  const svc = await CoordinationService.at(`${work}/${loser}`);
  await svc.addMessage(
    committer,
    place,
    rec.thread!,
    loser === 'a' ? { author: as(jane), body: 'From A.' } : { author: as(tom), body: 'From B.' },
  );
  t.equal((await gitRun(`${work}/${loser}`, ['push', '-q', 'origin', 'main'])).status, 0);
  const summary = await s.api('GET', `/api/records/${rec.id}`, s.admin);
  t.equal(summary.body.threads[0].message_count, 3, 'both messages are in main');
});

t.test('50 concurrent clones of different records', async (t) => {
  const s = await testServer(t);
  const ids = [];
  for (let i = 0; i < 50; i++) ids.push((await s.record(thread)).id);
  const work = tempDir(t);
  const { execFile } = await import('node:child_process');
  const clone = (id: string) =>
    new Promise<number>((resolve) =>
      execFile('git', ['clone', '-q', s.gitUrl(id, s.admin), id], { cwd: work, env: testGitEnv() }, (e) =>
        resolve(e ? 1 : 0),
      ),
    );
  const results = await Promise.all(ids.map(clone));
  t.same(
    results,
    ids.map(() => 0),
    'every clone succeeded',
  );
  t.ok(ids.every((id) => fs.existsSync(`${work}/${id}/COORDINATION_STATUS.yaml`)));
});
