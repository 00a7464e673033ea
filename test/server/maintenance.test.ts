// A record's storage upkeep (server/maintenance.ts) with the server's own git configuration: after
// writes, the new packs and loose objects are rolled up while the large old pack is left as it is
// (work in proportion to what arrived, not to the record's history); once a day, the full gc folds
// everything into one pack and prunes what nothing references; git's own automatic gc never runs.

import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import t from 'tap';
import type { RecordId } from '../../core/ids.js';
import { installGitConfig } from '../../git/config.js';
import { Maintenance } from '../../server/maintenance.js';
import { gitOk, gitTry, testGitEnv } from '../helpers/git.js';
import { eventually } from '../helpers/receiver.js';
import { tempDir } from '../helpers/tmp.js';
import { growingThreads } from '../../bench/fixtures.js';

const DAY = 24 * 3600_000;

/** A bare record with the server's configuration, and a working copy whose `n` commits are on its main. */
async function record(dir: string, n: number) {
  mkdirSync(`${dir}/hooks`, { recursive: true });
  const env = testGitEnv(
    await installGitConfig(`${dir}/gitconfig`, { hooksPath: `${dir}/hooks`, maxInputBytes: 1 << 30 }),
  );
  const gitdir = `${dir}/r.git`;
  await gitOk(dir, ['init', '-q', '--bare', '-b', 'main', gitdir], { env });
  await gitOk(dir, ['init', '-q', '-b', 'main', 'w'], { env });
  const work = `${dir}/w`;
  // n commits, each a message appended to one growing file, as a thread is.
  const stream = growingThreads().history(
    n,
    (i) => `A few sentences about the patient, number ${i}, as a message would hold.`,
  );
  await gitOk(work, ['fast-import', '--quiet'], { env, input: stream });
  await gitOk(work, ['push', '-q', gitdir, 'main'], { env });
  const push = async () => {
    writeFileSync(`${work}/note`, `${Math.random()}\n`);
    await gitOk(work, ['add', 'note'], { env });
    await gitOk(work, ['commit', '-q', '-m', 'one more'], { env });
    await gitOk(work, ['push', '-q', gitdir, 'main'], { env });
  };
  const packs = () =>
    readdirSync(`${gitdir}/objects/pack`)
      .filter((f) => f.endsWith('.pack'))
      .sort();
  const loose = () => Number(/^count: (\d+)$/m.exec(gitTry(gitdir, ['count-objects', '-v'], { env }).stdout)?.[1]);
  /** A loose object written straight into the record, as the server's own writes are; gives its id. */
  const write = async (text: string) =>
    (await gitOk(gitdir, ['hash-object', '-w', '--stdin'], { env, input: text })).trim();
  /** A blob in a pack of its own (and loose beside it); gives the pack's name. */
  const packAlone = async (text: string) =>
    (
      await gitOk(gitdir, ['pack-objects', '-q', `${gitdir}/objects/pack/pack`], {
        env,
        input: `${await write(text)}\n`,
      })
    ).trim();
  const maintenance = (log: (what: string) => void = () => undefined) =>
    new Maintenance(
      () => gitdir,
      env,
      (_level, what) => log(what),
      0,
    );
  /** Date the record's creation (its HEAD) `days` back. */
  const made = (days: number) => {
    const then = (Date.now() - days * DAY) / 1000;
    utimesSync(`${gitdir}/HEAD`, then, then);
  };
  return { env, gitdir, work, push, packs, loose, write, packAlone, made, maintenance };
}

/** A record of `n` commits, made two days ago, after its first look (the full gc), and its upkeep, whose any warning fails the test. */
async function folded(t: { fail(message: string): void; teardown(fn: () => void): void }, n: number) {
  const r = await record(tempDir(t), n);
  const m = r.maintenance((what) => t.fail(what));
  r.made(2);
  await m.run('rec' as RecordId);
  return { r, m };
}

t.test("a new record's looks are roll-ups at most; its first full gc comes a day after it was made", async (t) => {
  const r = await record(tempDir(t), 30);
  const m = r.maintenance((what) => t.fail(what));
  for (let i = 0; i < 3; i++) await r.push();
  const packs = r.packs();
  await m.run('rec' as RecordId);
  t.notOk(existsSync(`${r.gitdir}/ccr-gc`), 'no full gc yet');
  t.same(r.packs(), packs, 'four packs, left as they are');
  r.made(1.5);
  await m.run('rec' as RecordId);
  t.ok(existsSync(`${r.gitdir}/ccr-gc`), 'a day and a half later: the full gc');
  t.equal(r.packs().length, 1, 'one pack');
  t.ok(existsSync(`${r.gitdir}/refs/heads/main`), 'main left loose (gc.packRefs = false: no lock on it)');
});

t.test(
  'after writes, the new packs and loose objects are rolled up and the large old pack is left as it is',
  async (t) => {
    const { r, m } = await folded(t, 300); // the first look: the full gc
    t.ok(existsSync(`${r.gitdir}/ccr-gc`), 'the full gc left its stamp');
    t.equal(r.packs().length, 1, 'the full gc leaves one pack');
    const [big] = r.packs();
    const bigTime = statSync(`${r.gitdir}/objects/pack/${big}`).mtimeMs;

    for (let i = 0; i < 8; i++) await r.push();
    const blob = await r.write('a loose write\n');
    // A push still being landed: its pack is kept (index-pack --keep) until main names it.
    writeFileSync(`${r.work}/note`, 'landing\n');
    await gitOk(r.work, ['commit', '-q', '-a', '-m', 'landing'], { env: r.env });
    const kept = (
      await gitOk(r.work, ['pack-objects', '-q', '--revs', `${r.gitdir}/objects/pack/pack`], {
        env: r.env,
        input: 'main\n^main~1\n',
      })
    ).trim();
    writeFileSync(`${r.gitdir}/objects/pack/pack-${kept}.keep`, 'ccr-push\n');
    t.equal(r.packs().length, 10, 'eight push packs and a kept one beside the old pack');
    t.equal(r.loose(), 1, 'one loose object');

    await m.run('rec' as RecordId);
    const after = r.packs();
    t.ok(after.includes(big!), 'the old pack is still there');
    t.equal(statSync(`${r.gitdir}/objects/pack/${big}`).mtimeMs, bigTime, 'and was not rewritten');
    t.ok(after.includes(`pack-${kept}.pack`), 'the kept pack is left alone');
    t.ok(after.length <= 4, `the eight push packs are rolled up (${after.length} packs in all)`);
    t.equal(r.loose(), 0, 'the loose object is packed');
    t.equal((await gitOk(r.gitdir, ['cat-file', '-t', blob], { env: r.env })).trim(), 'blob', 'and still readable');
    t.equal((await gitOk(r.gitdir, ['rev-list', '--count', 'main'], { env: r.env })).trim(), '308', 'history intact');
    t.equal((await gitOk(r.gitdir, ['fsck', '--no-dangling'], { env: r.env })).trim(), '', 'git fsck is clean');
  },
);

t.test(
  'a few packs and loose objects are left as they are; loose writes past the estimate are rolled up',
  async (t) => {
    const { r, m } = await folded(t, 20);
    for (let i = 0; i < 3; i++) await r.push();
    const blob = await r.write('an API write\n');
    // Five packs of pushes being landed (kept): not counted, as gc --auto does not count them.
    for (let i = 0; i < 5; i++)
      writeFileSync(`${r.gitdir}/objects/pack/pack-${await r.packAlone(`landing ${i}\n`)}.keep`, 'ccr-push\n');
    await gitOk(r.gitdir, ['prune-packed'], { env: r.env });
    const packs = r.packs();
    t.equal(packs.length, 9, 'nine packs, five of them kept');
    await m.run('rec' as RecordId);
    t.same(r.packs(), packs, 'four counted: nothing rolled up');
    t.equal(r.loose(), 1, 'the loose object stays loose');

    // The server's own writes (the API, sync merges) are loose: past ~1,000, they are rolled up.
    const files = Array.from({ length: 1500 }, (_, i) => `${r.work}/f${i}`);
    for (const [i, f] of files.entries()) writeFileSync(f, `a write ${i}\n`);
    await gitOk(r.gitdir, ['hash-object', '-w', '--stdin-paths'], { env: r.env, input: files.join('\n') });
    t.ok(readdirSync(`${r.gitdir}/objects/17`).length > 4, 'objects/17 holds more than 1,000/256');
    await m.run('rec' as RecordId);
    t.equal(r.loose(), 0, 'every loose object is packed');
    t.equal((await gitOk(r.gitdir, ['cat-file', '-t', blob], { env: r.env })).trim(), 'blob', 'and still readable');
  },
);

t.test(
  'the full gc, once a day, folds the packs into one and prunes what nothing has referenced for two weeks',
  async (t) => {
    const { r, m } = await folded(t, 50);
    const exists = (id: string) => gitTry(r.gitdir, ['cat-file', '-e', id], { env: r.env }).status === 0;
    const age = (file: string, days: number) => {
      const then = (Date.now() - days * DAY) / 1000;
      utimesSync(file, then, then);
    };
    const looseFile = (id: string) => `${r.gitdir}/objects/${id.slice(0, 2)}/${id.slice(2)}`;
    const dayPassed = () => age(`${r.gitdir}/ccr-gc`, 1.5);
    const history = async () => (await gitOk(r.gitdir, ['rev-list', '--count', 'main'], { env: r.env })).trim();

    // Rolled up with the pushes into a new pack, ten days ago.
    const rolled = await r.write('refused, then rolled up\n');
    for (let i = 0; i < 8; i++) await r.push();
    await m.run('rec' as RecordId); // the stamp is minutes old, nine packs: a roll-up
    t.ok(exists(rolled), 'a roll-up prunes nothing');
    t.equal(r.loose(), 0, 'and packs the loose objects');
    // The roll-up's pack, dated ten days back, as if it had been made then.
    for (const p of r.packs()) age(`${r.gitdir}/objects/pack/${p}`, 10);
    // Loose, and written long ago: the next full gc prunes it; one of yesterday's it keeps.
    const old = await r.write('refused, long ago\n');
    age(looseFile(old), 30);
    const recent = await r.write('refused, yesterday\n');
    age(looseFile(recent), 1);

    dayPassed();
    await m.run('rec' as RecordId);
    t.ok(statSync(`${r.gitdir}/ccr-gc`).mtimeMs > Date.now() - 60_000, 'the stamp is new');
    t.notOk(exists(old), 'loose and unreferenced for a month: pruned');
    t.ok(exists(rolled), 'ten days unreferenced: kept');
    t.ok(exists(recent), "yesterday's: kept");
    const cruft = readdirSync(`${r.gitdir}/objects/pack`).filter((f) => f.endsWith('.mtimes'));
    t.equal(cruft.length, 1, 'what nothing references is in a cruft pack, with its times');
    t.equal(r.packs().length, 2, 'one pack of what main holds, and the cruft pack');

    // More pushes and a roll-up: the cruft pack is left as it is, its objects' times with it.
    for (let i = 0; i < 8; i++) await r.push();
    await m.run('rec' as RecordId);
    t.ok(existsSync(`${r.gitdir}/objects/pack/${cruft[0]}`), 'the roll-up leaves the cruft pack alone');

    // Five days on (git's two weeks taken as nine days here): ten plus five is past them.
    dayPassed();
    const later = new Maintenance(
      () => r.gitdir,
      { ...r.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gc.pruneExpire', GIT_CONFIG_VALUE_0: '9.days.ago' },
      (_level, what) => t.fail(what),
      0,
    );
    await later.run('rec' as RecordId);
    t.notOk(exists(rolled), 'rolled up, then unreferenced past the expiry: pruned');
    t.ok(exists(recent), "yesterday's is still kept");
    t.equal(await history(), '66', 'history intact');
    t.equal((await gitOk(r.gitdir, ['fsck', '--no-dangling'], { env: r.env })).trim(), '', 'git fsck is clean');

    // A stamp ahead of the clock (the clock set back): due.
    const ahead = (Date.now() + 2 * DAY) / 1000;
    for (let i = 0; i < 2; i++) await r.push();
    utimesSync(`${r.gitdir}/ccr-gc`, ahead, ahead);
    await m.run('rec' as RecordId);
    t.ok(statSync(`${r.gitdir}/ccr-gc`).mtimeMs < Date.now() + 60_000, 'a stamp from the future is a full gc now');
  },
);

t.test("git's own automatic gc never folds a record's packs (a sync's fetch runs it)", async (t) => {
  const r = await record(tempDir(t), 5);
  // Past git's default gc.autoPackLimit of 50.
  for (let i = 0; i < 52; i++) await r.packAlone(`blob ${i}\n`);
  const before = r.packs().length;
  t.ok(before > 50, `${before} packs`);
  await gitOk(r.gitdir, ['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet'], { env: r.env });
  t.equal(r.packs().length, before, 'gc --auto left the packs alone');
});

t.test('records touched are looked at after the pause; one whose look throws stops none after it', async (t) => {
  const dir = tempDir(t);
  const a = await record(`${dir}/a`, 5);
  const b = await record(`${dir}/b`, 5);
  const dirs: Record<string, string> = { a: a.gitdir, b: b.gitdir };
  const logged: string[] = [];
  const gitdir = (id: RecordId) => {
    if (!dirs[id]) throw new Error(`no record ${id}`);
    return dirs[id];
  };
  const m = new Maintenance(gitdir, a.env, (_level, what) => logged.push(what), 0);
  t.teardown(() => m.stop());
  a.made(2);
  b.made(2);
  for (const id of ['a', 'gone', 'b', 'a']) m.touched(id as RecordId);
  await eventually(async () => existsSync(`${a.gitdir}/ccr-gc`) && existsSync(`${b.gitdir}/ccr-gc`));
  t.pass('both records had their full gc');
  t.same(logged, ['maintenance-failed'], 'the record whose look threw was logged');
});
