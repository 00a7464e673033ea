// The file systems isomorphic-git reads through (git/isoFs.ts): every way of reading gives the
// objects git stored, loose and packed, including a push's quarantine read as a repository; a
// missing file is ENOENT; nothing is ever written; the main thread's reads let the event loop run.

import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { parseOid } from '../../core/objects.js';
import { blockingReads, mainThreadReads, quarantineReads } from '../../git/isoFs.js';
import { IsoGitSource } from '../../git/store.js';
import { PushSource } from '../../git/pushSource.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A repository with one loose blob and one packed blob; gives the ids. */
async function repository(dir: string): Promise<{ loose: string; packed: string }> {
  await gitOk(dir, ['init', '-q', '--bare', 'r.git']);
  const gitdir = `${dir}/r.git`;
  writeFileSync(`${dir}/a`, 'packed\n');
  const packed = (await gitOk(gitdir, ['hash-object', '-w', `${dir}/a`])).trim();
  await gitOk(gitdir, ['repack', '-q', '-a', '-d']);
  // repack keeps only reachable objects: pack the loose blob by hand.
  await gitOk(gitdir, ['pack-objects', '-q', `${gitdir}/objects/pack/pack`], { input: `${packed}\n` });
  writeFileSync(`${dir}/b`, 'loose\n');
  const loose = (await gitOk(gitdir, ['hash-object', '-w', `${dir}/b`])).trim();
  await gitOk(gitdir, ['prune-packed']);
  return { loose, packed };
}

const text = (o: { content: Uint8Array } | null) => (o ? Buffer.from(o.content).toString() : null);

t.test('blocking and main-thread reads give the loose and the packed object', async (t) => {
  const dir = tempDir(t);
  const { loose, packed } = await repository(dir);
  for (const reads of [true, false]) {
    const source = new IsoGitSource(`${dir}/r.git`, 1024, reads);
    t.equal(text(await source.read(parseOid(loose)!)), 'loose\n');
    t.equal(text(await source.read(parseOid(packed)!)), 'packed\n');
    t.equal(await source.read(parseOid('1'.repeat(40))!), null, 'a missing object is null');
  }
});

t.test("a quarantine is read as a repository's objects without a folder made for it", async (t) => {
  const dir = tempDir(t);
  const { loose, packed } = await repository(dir);
  // Move the objects into a folder of their own, as receive-pack's quarantine holds them.
  mkdirSync(`${dir}/r.git/objects/tmp_objdir-incoming-test`);
  const quarantine = `${dir}/r.git/./objects/tmp_objdir-incoming-test`; // receive-pack's spelling: with `/./`
  renameSync(`${dir}/r.git/objects/pack`, `${quarantine}/pack`);
  mkdirSync(`${dir}/r.git/objects/pack`);
  const prefix = loose.slice(0, 2);
  renameSync(`${dir}/r.git/objects/${prefix}`, `${quarantine}/${prefix}`);
  const view = quarantineReads(quarantine);
  const source = new IsoGitSource(view.gitdir, 1024, view.reads);
  t.equal(text(await source.read(parseOid(loose)!)), 'loose\n');
  t.equal(text(await source.read(parseOid(packed)!)), 'packed\n');
  t.same(readdirSync(quarantine).sort(), [prefix, 'pack'].sort(), 'nothing was made in the quarantine');
  await t.rejects(
    view.reads.promises.readFile(`${dir}/r.git/config`),
    { code: 'ENOENT' },
    'nothing outside it is read',
  );
  const record = new IsoGitSource(`${dir}/r.git`, 1024, true);
  t.equal(await record.read(parseOid(packed)!), null, 'the record lacks it');
  // A push's reads find the quarantine's pack in process: with no git to start, cat-file cannot help.
  const push = new PushSource(quarantine, record, { PATH: '/nonexistent' });
  t.teardown(() => push.close());
  t.equal(text(await push.read(parseOid(packed)!)), 'packed\n', 'the packed object, read without starting git');
});

t.test('a missing file is ENOENT, the promise probe answers, and nothing writes', async (t) => {
  for (const reads of [blockingReads, mainThreadReads]) {
    const p = reads.promises;
    await t.rejects(p.readFile('/nonexistent/ccr-file'), { code: 'ENOENT' });
    await t.rejects(p.stat('/nonexistent/ccr-file'), { code: 'ENOENT' });
    await t.rejects(p.lstat('/nonexistent/ccr-file'), { code: 'ENOENT' });
    t.equal(
      await p.readFile(),
      undefined,
      'readFile() without a path resolves (isomorphic-git asks if it is a promise API)',
    );
    await t.rejects(p.writeFile('/tmp/ccr-never', 'x'), /does not write/);
    await t.rejects(p.unlink('/tmp/ccr-never'), /does not write/);
  }
});

t.test('main-thread reads give the event loop a turn while a long run of reads goes on', async (t) => {
  const dir = tempDir(t);
  writeFileSync(`${dir}/f`, 'x');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  for (let i = 0; i < 2000; i++) await mainThreadReads.promises.stat(`${dir}/f`); // blocking calls
  clearInterval(timer);
  t.ok(ticks > 0, `timers ran during 2,000 blocking calls (${ticks} times)`);
});
