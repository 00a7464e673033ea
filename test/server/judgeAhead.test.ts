// Judging a push ahead (server/prejudge.ts), over HTTP with the git CLI: a good push is judged from
// its request's pack while git indexes it and the hook uses that verdict; a push the rules refuse is
// judged again in the hook and refused there with its rule id; a verdict ahead is used only for
// the very ref lines git gives the hook; and the server judges only in the hook when told to. test/server/judgeAheadCorpus.test.ts compares the
// two judgements over the whole hostile corpus.

import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import { CoordinationService } from '../../index.js';
import { runGit } from '../../git/run.js';
import type { PushContext } from '../../server/hookEndpoint.js';
import { AHEAD_MAX_AGE_MS, aheadVerdict } from '../../server/prejudge.js';
import type { PushVerdict } from '../../server/validator.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { judgedAhead, testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { pkt, send } from '../helpers/wire.js';

/** A record with a thread, cloned by the admin; the clone's service and its thread's messages.md. */
async function cloned(t: Test, s: TestServer) {
  const rec = await s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'Hello.' } });
  const dir = `${tempDir(t)}/c`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), dir]);
  const svc = await CoordinationService.at(dir);
  const main = async () => (await gitOk(dir, ['ls-remote', 'origin', 'refs/heads/main'])).split('\t')[0];
  return { rec, dir, svc, main, messages: `${dir}/communications/${rec.thread}/messages.md` };
}

/** What the outcomes counted since `before`. */
async function since(s: TestServer, before: Record<string, number>): Promise<Record<string, number>> {
  const now = await judgedAhead(s);
  return Object.fromEntries(
    Object.entries(now)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );
}

t.test('a good push is judged ahead; a bad one is judged again and refused with its rule id', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  let before = await judgedAhead(s);
  await c.svc.addMessage(committer, place, c.rec.thread!, { author: as(jane), body: 'Judged while git indexes it.' });
  const good = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.equal(good.status, 0, good.stderr);
  t.same(await since(s, before), { landed: 1 }, 'the verdict judged ahead was used, and the push landed on it');
  t.equal(await c.main(), (await gitOk(c.dir, ['rev-parse', 'HEAD'])).trim(), 'main moved');
  t.match(good.stderr, /remote: -----BEGIN CCR RECEIPT-----/, 'the receipt is printed as before');

  // An edit of a message already on main: the rules refuse it ahead and again in the hook.
  const landed = await c.main();
  writeFileSync(c.messages, readFileSync(c.messages, 'utf8').replace('Hello.', 'Goodbye.'));
  await gitOk(c.dir, ['commit', '-q', '-am', 'coordination:update: Added message to thread\n\nCare-Location: Ward 7']);
  before = await judgedAhead(s);
  const bad = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.not(bad.status, 0, 'refused');
  t.match(bad.stderr, /remote: ccr\/append-only /, `the rule id reaches the pusher:\n${bad.stderr}`);
  t.same(await since(s, before), { refused: 1 }, 'the refusal ahead was not used: the hook judged again');
  t.equal(await c.main(), landed, 'main is unchanged');
});

t.test('a thin pack with deltas against the record is judged ahead', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  for (let i = 0; i < 12; i++)
    await c.svc.addMessage(committer, place, c.rec.thread!, {
      author: as(jane),
      body: `Message ${i}: ${'a long clinical note about the plan of care. '.repeat(12)}`,
    });
  t.equal((await gitRun(c.dir, ['push', '-q', 'origin', 'main'])).status, 0, 'a long thread is pushed');
  const before = await judgedAhead(s);
  await c.svc.addMessage(committer, place, c.rec.thread!, { author: as(jane), body: 'One more, sent as a delta.' });
  // The pack git push sends (the same options), in bytes: far smaller than the file it changes.
  const pack = await runGit(
    ['--git-dir', `${c.dir}/.git`, 'pack-objects', '--stdout', '--revs', '--thin', '--delta-base-offset'],
    { input: 'HEAD\n^origin/main\n' },
  );
  t.ok(
    (pack.stdout as Buffer).length < readFileSync(c.messages).length / 2,
    'git sends the new messages.md as a delta',
  );
  const push = await gitRun(c.dir, ['push', 'origin', 'main']);
  t.equal(push.status, 0, push.stderr);
  t.same(await since(s, before), { landed: 1 }, 'judged ahead from the thin pack');
});

t.test('a hidden ref beside main: git gives the hook every line, and the push is refused whole', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const landed = await c.main();
  await c.svc.addMessage(committer, place, c.rec.thread!, { author: as(jane), body: 'Beside a hidden ref.' });
  const before = await judgedAhead(s);
  const push = await gitRun(c.dir, ['push', 'origin', 'main', 'HEAD:refs/ccr/evil']);
  t.match(push.stderr, /remote: ccr\/ref-name refs\/ccr\/evil/, `the ref rule refuses it:\n${push.stderr}`);
  t.same(await since(s, before), { refused: 1 }, 'refused ahead too, and judged again in the hook');
  t.equal(await c.main(), landed, 'main is unchanged');
  const refs = await gitOk('/', ['--git-dir', s.server.context.records.path(c.rec.id as RecordId), 'for-each-ref']);
  t.notMatch(refs, /refs\/ccr\/evil/, 'the hidden ref was not made');
});

t.test('a verdict ahead is used only for the ref lines it judged, with no identity change since', async (t) => {
  const s = await testServer(t);
  const ctx = s.server.context;
  const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(40)) as [string, string, string];
  const accepted = { findings: [], commits: 1 };
  const judged = [{ old: a, new: b, ref: 'refs/heads/main' }];
  const pushOf = (verdict: PushVerdict | null, identity = ctx.identity.store.lastChange(), now = Date.now()) =>
    ({ ahead: { updates: judged, now, identity, verdict: Promise.resolve(verdict) } }) as unknown as PushContext;
  const before = await judgedAhead(s);
  t.same(await aheadVerdict(ctx, pushOf(accepted), judged), accepted, 'the same lines: used');
  t.equal(await aheadVerdict(ctx, pushOf(accepted), [{ ...judged[0]!, new: c }]), null, 'another new id');
  t.equal(await aheadVerdict(ctx, pushOf(accepted), [{ ...judged[0]!, old: c }]), null, 'another old id');
  t.equal(await aheadVerdict(ctx, pushOf(accepted), [{ ...judged[0]!, ref: 'refs/heads/other' }]), null, 'another ref');
  t.equal(await aheadVerdict(ctx, pushOf(accepted), [...judged, ...judged]), null, 'a line more');
  t.equal(await aheadVerdict(ctx, pushOf(accepted), []), null, 'a line fewer');
  const unsure = { findings: [], commits: 0, unsure: 'a merge commit' };
  t.equal(await aheadVerdict(ctx, pushOf(unsure), judged), null, 'unsure');
  t.equal(await aheadVerdict(ctx, pushOf(null), judged), null, 'not judged');
  t.equal(await aheadVerdict(ctx, {} as PushContext, judged), null, 'never started');
  // Judged as of a time too long before the hook's call (a key may have expired since).
  const old = pushOf(accepted, undefined, Date.now() - AHEAD_MAX_AGE_MS - 100);
  t.equal(await aheadVerdict(ctx, old, judged), null, 'judged too long ago');
  // A principal made (or a key revoked, a token added) while the push was judged ahead.
  const began = pushOf(accepted);
  await s.principal({ name: 'late', kind: 'auditor' });
  t.equal(await aheadVerdict(ctx, began, judged), null, 'an identity change since it began');
  t.same(await since(s, before), {
    used: 1,
    'other-updates': 5,
    unsure: 1,
    'not-judged': 1,
    none: 1,
    'identity-changed': 1,
    late: 1,
  });
});

t.test('a request git refuses before its hook: judged ahead, never asked for, nothing changed', async (t) => {
  const s = await testServer(t);
  const c = await cloned(t, s);
  const landed = await c.main();
  await c.svc.addMessage(committer, place, c.rec.thread!, { author: as(jane), body: 'Its tree stays behind.' });
  const head = (await gitOk(c.dir, ['rev-parse', 'HEAD'])).trim();
  // A pack of the commit alone: git's connectivity check refuses it before the hook runs.
  const pack = await runGit(['--git-dir', `${c.dir}/.git`, 'pack-objects', '--stdout'], { input: `${head}\n` });
  const before = await judgedAhead(s);
  const answer = await send(`${s.url}/coordination/${c.rec.id}.git/git-receive-pack`, {
    method: 'POST',
    auth: s.admin,
    headers: { 'Content-Type': 'application/x-git-receive-pack-request' },
    body: Buffer.concat([
      pkt(`${landed} ${head} refs/heads/main\0report-status side-band-64k\n`),
      Buffer.from('0000'),
      pack.stdout as Buffer,
    ]),
  });
  t.equal(answer.status, 200);
  t.match(answer.body.toString('latin1'), /ng refs\/heads\/main/, 'git refused the update');
  await new Promise((r) => setTimeout(r, 50));
  t.same(await since(s, before), { unasked: 1 }, 'judged ahead, but the hook never asked');
  t.equal(await c.main(), landed, 'main is unchanged');
});

t.test('with judging ahead off, the hook judges every push', async (t) => {
  const s = await testServer(t, { judgeAhead: false });
  const c = await cloned(t, s);
  const before = await judgedAhead(s);
  await c.svc.addMessage(committer, place, c.rec.thread!, { author: as(jane), body: 'Judged in the hook.' });
  t.equal((await gitRun(c.dir, ['push', '-q', 'origin', 'main'])).status, 0);
  t.same(await since(s, before), { none: 1 });
});
