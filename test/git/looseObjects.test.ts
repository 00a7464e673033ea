// Loose objects decoded by git/loose.ts and read by the store itself (git/store.ts IsoGitSource):
// each is inflated and its id checked with Node's SHA-1 (isomorphic-git checked it with Web
// Crypto, a thread-pool round trip per object); packed ones are still found through
// isomorphic-git. Checked against git's own cat-file; a damaged loose object is an error that
// says so.

import { chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { decodeLoose } from '../../git/loose.js';
import { IsoGitSource, writeLooseObject } from '../../git/store.js';
import { runGit } from '../../git/run.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A repository with a commit of two files, its objects loose; gives the ids of the commit, its tree and a blob. */
async function repository(dir: string) {
  await gitOk(dir, ['init', '-q', '--initial-branch=main']);
  writeFileSync(`${dir}/a.md`, 'A message.\n');
  writeFileSync(`${dir}/b.yaml`, 'thread_id: x\n');
  await gitOk(dir, ['add', '.']);
  await gitOk(dir, ['commit', '-q', '-m', 'first']);
  const commit = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim() as Oid;
  const tree = (await gitOk(dir, ['rev-parse', 'HEAD^{tree}'])).trim() as Oid;
  const blob = (await gitOk(dir, ['rev-parse', 'HEAD:a.md'])).trim() as Oid;
  return { gitdir: `${dir}/.git`, commit, tree, blob };
}

const loosePath = (gitdir: string, oid: Oid) => `${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;

t.test('loose objects read as git cat-file gives them, on the main thread and with blocking reads', async (t) => {
  const dir = tempDir(t);
  const r = await repository(dir);
  for (const source of [new IsoGitSource(r.gitdir), new IsoGitSource(r.gitdir, 1024, true)]) {
    for (const [oid, type] of [
      [r.commit, 'commit'],
      [r.tree, 'tree'],
      [r.blob, 'blob'],
    ] as const) {
      const o = await source.read(oid);
      t.equal(o?.type, type);
      const raw = await runGit(['--git-dir', r.gitdir, 'cat-file', type, oid]);
      t.ok(Buffer.from(o!.content).equals(raw.stdout), `${type} byte for byte`);
    }
    t.equal(await source.read('0'.repeat(40) as Oid), null, 'a missing object is null');
    t.same((await source.read(r.blob, 3))?.content, null, 'a limit below its size gives no content');
  }
});

t.test('packed objects are still found, through isomorphic-git', async (t) => {
  const dir = tempDir(t);
  const r = await repository(dir);
  await gitOk(dir, ['repack', '-adq']);
  await gitOk(dir, ['prune-packed']);
  for (const source of [new IsoGitSource(r.gitdir), new IsoGitSource(r.gitdir, 1024, true)]) {
    t.equal((await source.read(r.commit))?.type, 'commit', 'from the pack');
    t.equal(Buffer.from((await source.read(r.blob))!.content).toString(), 'A message.\n');
  }
});

t.test('a damaged loose object is an error that names it, never another content', async (t) => {
  const dir = tempDir(t);
  const r = await repository(dir);
  const path = loosePath(r.gitdir, r.blob);
  chmodSync(path, 0o644);
  // Another content under the blob's id: its header and zlib are intact, its id is not.
  writeFileSync(path, deflateSync(Buffer.from('blob 12\0Another text')));
  await t.rejects(
    new IsoGitSource(r.gitdir).read(r.blob),
    /loose object [0-9a-f]{40} is damaged: its content does not hash to its id/,
  );
  // A header that is not "<type> <size>".
  writeFileSync(path, deflateSync(Buffer.from('blob 99\0A message.\n')));
  await t.rejects(new IsoGitSource(r.gitdir).read(r.blob), /is damaged: its header/);
  writeFileSync(path, deflateSync(Buffer.from('blob 11 extra\0A message.\n')));
  await t.rejects(new IsoGitSource(r.gitdir).read(r.blob), /is damaged: its header/, 'a field more than git writes');
  writeFileSync(path, deflateSync(Buffer.from('blob 011\0A message.\n')));
  await t.rejects(new IsoGitSource(r.gitdir).read(r.blob), /is damaged: its header/, 'a size git would not write');
  writeFileSync(path, deflateSync(Buffer.from('no header at all')));
  await t.rejects(new IsoGitSource(r.gitdir).read(r.blob), /is damaged: its header/);
  writeFileSync(path, 'torn');
  await t.rejects(new IsoGitSource(r.gitdir).read(r.blob), /is damaged: it does not inflate/);
});

t.test("with a limit, a larger object's type and size come from its header alone", async (t) => {
  const dir = tempDir(t);
  const r = await repository(dir);
  const compressed = readFileSync(loosePath(r.gitdir, r.blob));
  t.same(decodeLoose(r.blob, compressed, 3), { type: 'blob', size: 11, content: null });
  t.same(
    Buffer.from(decodeLoose(r.blob, compressed, 11).content!).toString(),
    'A message.\n',
    'within the limit: whole',
  );
  // Only the header is read under a limit: its content is not checked, its header is.
  t.throws(() => decodeLoose(r.blob, deflateSync(Buffer.from('blob 11 x\0A message.\n')), 3), /its header/);
  t.throws(() => decodeLoose(r.blob, deflateSync(Buffer.from('blob 11\0Another tex')), 20), /does not hash/);
});

t.test(
  'writing an object that is already loose freshens its time, as git does (a prune racing the write keeps it)',
  async (t) => {
    const dir = tempDir(t);
    await gitOk(dir, ['init', '-q', '--bare', 'r.git']);
    const gitdir = `${dir}/r.git`;
    const content = Buffer.from('a message body\n');
    const oid = await writeLooseObject(gitdir, 'blob', content);
    const file = `${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
    const month = (Date.now() - 30 * 24 * 3600_000) / 1000;
    utimesSync(file, month, month);
    t.equal(await writeLooseObject(gitdir, 'blob', content), oid);
    t.ok(statSync(file).mtimeMs > Date.now() - 60_000, 'its time is now');
    t.equal((await gitOk(gitdir, ['cat-file', 'blob', oid])).toString(), 'a message body\n', 'and it reads as before');
  },
);
