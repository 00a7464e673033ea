// A push landed without receive-pack (server/landAhead.ts), over HTTP with the git CLI: a good
// push lands on its verdict judged ahead and the pusher sees what receive-pack and its hook would
// have said; a pack git's fsck refuses is refused by git as before and leaves nothing behind; a
// failure while storing refuses the push with a reason and leaves main as it was.

import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { judgedAhead, testServer, type TestServer } from '../helpers/server.js';
import { remoteLines } from '../helpers/golden.js';
import { receivePackBody, send } from '../helpers/wire.js';
import { recoverRepository } from '../../git/recover.js';
import { tempDir } from '../helpers/tmp.js';

/** A record with a thread, cloned by the admin, and what a test looks at in it. */
async function cloned(t: Test, s: TestServer) {
  const rec = await s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'Hello.' } });
  const dir = `${tempDir(t)}/c`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), dir]);
  const svc = await CoordinationService.at(dir);
  const gitdir = s.server.context.records.path(rec.id as RecordId);
  const main = async () => (await gitOk(dir, ['ls-remote', 'origin', 'refs/heads/main'])).split('\t')[0];
  const write = (body: string) => svc.addMessage(committer, place, rec.thread!, { author: as(jane), body });
  /** Quarantine folders left in the record's objects (none once a push has ended). */
  const quarantines = () => readdirSync(`${gitdir}/objects`).filter((n) => n.startsWith('tmp_objdir'));
  /** .keep files in the record's packs (each landing's goes once its ref update is settled). */
  const keeps = () => readdirSync(`${gitdir}/objects/pack`).filter((n) => n.endsWith('.keep'));
  return { rec, dir, gitdir, main, write, quarantines, keeps };
}

/**
 * What a push printed: its `remote:` lines made stable (test/helpers/golden.ts), and git's own
 * lines without the server's port, the record and the commits.
 */
function printed(stderr: string, record: string): string {
  const own = stderr
    .split('\n')
    .filter((l) => !l.startsWith('remote: '))
    .map((l) =>
      l
        .replace(/127\.0\.0\.1:\d+/g, '<host>')
        .replaceAll(record, '<record>')
        .replace(/\b[0-9a-f]{7,12}\.\.[0-9a-f]{7,12}\b/g, '<range>'),
    );
  return remoteLines(stderr, record, new Set()) + own.join('\n');
}

t.test('a good push lands without receive-pack, and the pusher reads what receive-pack would have said', async (t) => {
  const landing = await testServer(t);
  const viaGit = await testServer(t, { landAhead: false });
  const said: string[] = [];
  for (const s of [landing, viaGit]) {
    const c = await cloned(t, s);
    // A first push warms the validator's thread: a cold one's first judgement, on a busy machine,
    // can come too late to be used (the push is then judged from the quarantine, as it should be).
    await c.write('Warming the validator.');
    await gitOk(c.dir, ['push', '-q', 'origin', 'main']);
    await c.write('Landed on its verdict judged ahead.');
    const before = await judgedAhead(s);
    const push = await gitRun(c.dir, ['push', 'origin', 'main']);
    t.equal(push.status, 0, push.stderr);
    const after = await judgedAhead(s);
    const outcome = s === landing ? 'landed' : 'used';
    t.equal(
      (after[outcome] ?? 0) - (before[outcome] ?? 0),
      1,
      `the push's judgement ahead: ${outcome} (outcomes before ${JSON.stringify(before)}, after ${JSON.stringify(after)})`,
    );
    const head = (await gitOk(c.dir, ['rev-parse', 'HEAD'])).trim();
    t.equal(await c.main(), head, 'main moved to the pushed commit');
    t.same(c.quarantines(), [], 'no quarantine folder is left');
    t.same(c.keeps(), [], 'no .keep is left');
    const fsck = await gitRun('/', ['--git-dir', c.gitdir, 'fsck', '--strict', '--no-dangling']);
    t.equal(fsck.status, 0, `the record passes git fsck --strict: ${fsck.stderr}`);
    said.push(printed(push.stderr, c.rec.id));
  }
  t.match(said[0], /remote: -----BEGIN CCR RECEIPT-----/, 'the receipt is printed');
  t.equal(said[0], said[1], 'the same lines as from receive-pack and its hook');
});

t.test('an object git fsck refuses is refused by git, as before, and leaves nothing', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const landed = await c.main();
  await c.write('A message in a commit with a malformed date.');
  // The same commit, its committer date written with a leading zero (fsck: zeroPaddedDate).
  const raw = await gitOk(c.dir, ['cat-file', 'commit', 'HEAD']);
  const padded = raw.replace(/^(committer .*> )(\d+)/m, '$10$2');
  t.not(padded, raw);
  const file = `${tempDir(t)}/commit`;
  writeFileSync(file, padded);
  const bad = (await gitOk(c.dir, ['hash-object', '-t', 'commit', '--literally', '-w', file])).trim();
  const before = await judgedAhead(s);
  const push = await gitRun(c.dir, ['push', 'origin', `${bad}:refs/heads/main`]);
  t.not(push.status, 0, 'refused');
  t.match(push.stderr, /zeroPaddedDate|unpack/i, `git's fsck names the problem:\n${push.stderr}`);
  t.equal(await c.main(), landed, 'main is unchanged');
  t.equal((await judgedAhead(s))['landed'] ?? 0, before['landed'] ?? 0, 'nothing landed ahead');
  t.same(c.quarantines(), [], 'no quarantine folder is left');
  const cat = await gitRun('/', ['--git-dir', c.gitdir, 'cat-file', '-e', bad]);
  t.not(cat.status, 0, 'the refused commit is not in the record');

  // The good neighbour: the same message in a well-formed commit lands.
  const good = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.equal(good.status, 0, good.stderr);
});

t.test('a failure while storing a push refuses it with a reason; main stays as it was', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const landed = await c.main();
  // main's lock file held (as by a git process that never lets go): main cannot be moved.
  const lock = `${c.gitdir}/refs/heads/main.lock`;
  writeFileSync(lock, '');
  await c.write('This push cannot be stored.');
  const push = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.not(push.status, 0, 'refused');
  t.match(
    push.stderr,
    /remote: ccr\/internal: expected to store the push, found an error: .*main.lock is held/,
    `a reason:\n${push.stderr}`,
  );
  t.notMatch(push.stderr, /RECEIPT/, 'no receipt for a push that did not land');
  t.match(push.stderr, /pre-receive hook declined/, 'reported as git reports a refusal');
  t.equal(await c.main(), landed, 'main is unchanged');
  t.same(c.quarantines(), [], 'no quarantine folder is left');
  t.same(c.keeps(), [], 'no .keep is left: the unreachable pack may go with the next gc');
  t.ok(
    s.logs.some((l) => l.includes('"push-store-failed"')),
    'the failure is in the log',
  );

  // The good neighbour: the lock gone, the same push lands.
  rmSync(lock);
  const again = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.equal(again.status, 0, again.stderr);
  t.equal(await c.main(), (await gitOk(c.dir, ['rev-parse', 'HEAD'])).trim(), 'main moved');
});

t.test('a ref name with a newline in it is refused on both ways, with no receipt and nothing changed', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const landed = (await c.main())!;
  await c.write('Sent under a ref name git reads otherwise.');
  const head = (await gitOk(c.dir, ['rev-parse', 'HEAD'])).trim();
  // git keeps the newline before the NUL in the ref name ("refs/heads/main\n"): its hook would be
  // given a line for main and an empty one. Plain capabilities (the landing's shape) and one more
  // (receive-pack's way, with the hook).
  for (const capabilities of ['report-status side-band-64k', 'report-status side-band-64k x-unknown']) {
    const before = await judgedAhead(s);
    const answer = await send(`${s.url}/coordination/${c.rec.id}.git/git-receive-pack`, {
      method: 'POST',
      auth: s.admin,
      headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
      body: await receivePackBody(c.dir, landed, head, 'refs/heads/main\n', capabilities),
    });
    const text = answer.body.toString('latin1');
    t.notMatch(text, /RECEIPT/, `${capabilities}: no receipt is signed`);
    t.notMatch(text, /ok refs\/heads\/main/, `${capabilities}: main is not reported updated`);
    t.equal(await c.main(), landed, `${capabilities}: main is unchanged`);
    const after = await judgedAhead(s);
    for (const outcome of ['used', 'landed'])
      t.equal(after[outcome] ?? 0, before[outcome] ?? 0, `${capabilities}: no verdict ahead ${outcome}`);
  }
  // The good neighbour: the same commit under its own name.
  const good = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.equal(good.status, 0, good.stderr);
  t.equal(await c.main(), head);
});

t.test("a landing's quarantine left by a crash is cleared as receive-pack's are; a live one is not", async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const left = `${c.gitdir}/objects/tmp_objdir-ccr-AbC123`;
  mkdirSync(`${left}/pack`, { recursive: true });
  writeFileSync(`${left}/pack/tmp_pack_x`, 'half a pack');
  const old = new Date(Date.now() - 120_000);
  utimesSync(left, old, old);
  utimesSync(`${left}/pack/tmp_pack_x`, old, old);
  // A landing's quarantine is made before its push takes the record lock: a young one may be live.
  const live = `${c.gitdir}/objects/tmp_objdir-ccr-Live12`;
  mkdirSync(`${live}/pack`, { recursive: true });
  t.same(await recoverRepository(c.gitdir), [left], 'the old one is removed');
  t.same(c.quarantines(), ['tmp_objdir-ccr-Live12'], 'the young one stays');
});
