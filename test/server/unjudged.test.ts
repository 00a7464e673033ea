// A push git took without running the hook. git skips a pre-receive hook it cannot find or run
// (here: made not executable while the server runs) and still moves the ref; the server sees its
// report say `ok refs/heads/main` with no hook call for the push, puts main back and logs an error.
// The hostile push: a message edited in place, which the rules refuse.

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { hooksDirOf } from '../../git/hooks.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { mainAt } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { pkt, send } from '../helpers/wire.js';

const thread = { participants: [jane, tom], message: { author_id: jane.participant_id, body: 'First message.' } };

t.test('a push git took without its hook is undone and logged, never left on main', async (t) => {
  const s = await testServer(t);
  const rec = await s.record(thread);
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const clone = `${work}/c`;
  const before = await mainAt({ name: 'x', s, peers: [] }, rec.id);

  // An edit in place of the first message: refused by the rules when the hook runs.
  const file = `${clone}/communications/${rec.thread}/messages.md`;
  writeFileSync(file, readFileSync(file, 'utf8').replace('First message.', 'Edited in place.'));
  await gitOk(clone, ['commit', '-qam', 'edit'], { env: testGitEnv() });

  const hook = `${hooksDirOf(s.data)}/pre-receive`;
  chmodSync(hook, 0o644);
  const unjudged = await gitRun(clone, ['push', 'origin', 'HEAD:main'], { env: testGitEnv() });
  chmodSync(hook, 0o755);
  t.equal(unjudged.status, 0, 'git took the push without its hook (what the server must catch)');
  t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), before, 'main was put back');
  const logged = s.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['event'] === 'push-unjudged');
  t.match(logged, { level: 'error', record: rec.id, old: before, undone: true }, 'an error in the log');
  const metrics = (await send(`${s.url}/metrics`, { auth: s.admin })).body.toString();
  t.match(metrics, /ccr_pushes_total\{outcome="unjudged"\} 1/);

  // The same push with the hook in place: refused by its rule.
  const judged = await gitRun(clone, ['push', 'origin', 'HEAD:main'], { env: testGitEnv() });
  t.not(judged.status, 0);
  t.match(judged.stderr, /ccr\/append-only/);
  t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), before);

  // The good neighbour: a message appended, accepted as ever.
  await gitOk(clone, ['reset', '-q', '--hard', before!], { env: testGitEnv() });
  await (
    await CoordinationService.at(clone)
  ).addMessage(committer, place, rec.thread!, { author: as(tom), body: 'Appended.' });
  const good = await gitRun(clone, ['push', 'origin', 'HEAD:main'], { env: testGitEnv() });
  t.equal(good.status, 0, good.stderr);
  t.not(await mainAt({ name: 'x', s, peers: [] }, rec.id), before, 'main moved');
});

t.test("a participant's push git took without its hook: logged, and the record's main left alone", async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Hello John.' },
  });
  const dir = `${tempDir(t)}/john`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, cast.john), dir]);
  await (
    await CoordinationService.at(dir)
  ).addMessage(committer, place, rec.thread!, { author: as(john), body: 'Thank you.' });
  const before = await mainAt({ name: 'x', s, peers: [] }, rec.id);

  const hook = `${hooksDirOf(s.data)}/pre-receive`;
  chmodSync(hook, 0o644);
  await gitRun(dir, ['push', 'origin', 'HEAD:main'], { env: testGitEnv() });
  chmodSync(hook, 0o755);
  t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), before, "the record's main: untouched");
  const logged = s.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['event'] === 'push-unjudged');
  t.match(logged, { level: 'error', principal: 'john', view: true, undone: false }, 'an error in the log');
});

t.test('a request git refuses before its hook cannot use the put-back to move main anywhere', async (t) => {
  const s = await testServer(t);
  const rec = await s.record(thread);
  const main = (await mainAt({ name: 'x', s, peers: [] }, rec.id))!;
  const url = `${s.url}/coordination/${rec.id}.git/git-receive-pack`;
  const raw = (command: string, pack: string) =>
    send(url, {
      method: 'POST',
      auth: s.admin,
      headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
      body: Buffer.concat([pkt(`${command}\0report-status side-band-64k\n`), Buffer.from('0000'), Buffer.from(pack)]),
    });
  // "From deadbeef… to main as it is": git refuses the garbage pack and never calls the hook; the
  // command's new value is main's, so a put-back trusting the command would write deadbeef… there.
  const forged = await raw(`${'de'.repeat(20)} ${main} refs/heads/main`, 'PACKgarbage');
  t.equal(forged.status, 200);
  t.match(forged.body.toString('latin1'), /unpack (?!ok)/, 'git refused the objects');
  t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), main, 'main is where it was');
  t.notOk(
    s.logs.some((l) => l.includes('push-unjudged')),
    'nothing was taken unjudged, so nothing is reported or moved',
  );
});
