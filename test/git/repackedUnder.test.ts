// A repository's packs changing while a source reads it (git/store.ts IsoGitSource): git gc and
// the server's maintenance write a new pack, then delete the old ones, and pushes land new packs,
// while reads go on. A source keeps its listing of the packs; one that listed or loaded the old
// packs finds them gone, or an object missing, and lists the packs again, instead of failing the
// request with an internal error or answering that the object is not there.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { PromiseFsClient } from 'isomorphic-git';
import t from 'tap';
import { parseOid, type Oid } from '../../core/objects.js';
import { blockingReads, mainThreadReads } from '../../git/isoFs.js';
import { IsoGitSource } from '../../git/store.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A bare repository with `n` blobs, each packed in a pack of its own; gives their ids. */
async function packedApart(dir: string, n: number): Promise<Oid[]> {
  await gitOk(dir, ['init', '-q', '--bare', 'r.git']);
  const gitdir = `${dir}/r.git`;
  const ids = await packedApartIn(
    gitdir,
    dir,
    Array.from({ length: n }, (_, i) => `blob ${i}\n`),
  );
  // Reachable from a ref, so that repack -a -d keeps them (in one new pack).
  const tree = (
    await gitOk(gitdir, ['mktree'], { input: ids.map((id, i) => `100644 blob ${id}\tf${i}\n`).join('') })
  ).trim();
  const commit = (
    await gitOk(gitdir, ['-c', 'user.name=x', '-c', 'user.email=x@ccr.invalid', 'commit-tree', tree, '-m', 'x'])
  ).trim();
  await gitOk(gitdir, ['update-ref', 'refs/heads/main', commit]);
  return ids;
}

for (const reads of [true, false])
  t.test(
    `packs replaced by a repack while the source holds them (${reads ? 'blocking' : 'main-thread'} reads)`,
    async (t) => {
      const dir = tempDir(t);
      const ids = await packedApart(dir, 3);
      const source = new IsoGitSource(`${dir}/r.git`, 0, reads);
      t.equal(Buffer.from((await source.read(ids[0]!))!.content).toString(), 'blob 0\n', 'read before the repack');
      await gitOk(`${dir}/r.git`, ['repack', '-q', '-a', '-d']);
      for (const [i, id] of ids.entries())
        t.equal(
          Buffer.from((await source.read(id))!.content).toString(),
          `blob ${i}\n`,
          `blob ${i} read from the new pack`,
        );
      t.equal(await source.read(parseOid('1'.repeat(40))!), null, 'a missing object is still null');
    },
  );

/** Reads through `base` that run `git repack -a -d` once, right after the first listing of the packs. */
function repackAfterListing(base: PromiseFsClient, gitdir: string): PromiseFsClient {
  let done = false;
  return {
    promises: {
      ...base.promises,
      readdir: async (path: string) => {
        const listed = await base.promises.readdir(path);
        if (!done && path.endsWith('/objects/pack')) {
          done = true;
          execFileSync('git', ['--git-dir', gitdir, 'repack', '-q', '-a', '-d']);
        }
        return listed;
      },
    },
  } as PromiseFsClient;
}

for (const [name, base] of [
  ['blocking', blockingReads],
  ['main-thread', mainThreadReads],
] as const)
  t.test(`packs deleted between their listing and their reading (${name} reads)`, async (t) => {
    const dir = tempDir(t);
    const ids = await packedApart(dir, 3);
    const gitdir = `${dir}/r.git`;
    const source = new IsoGitSource(gitdir, 0, repackAfterListing(base, gitdir));
    t.equal(Buffer.from((await source.read(ids[1]!))!.content).toString(), 'blob 1\n', 'read from the new pack');
    t.equal(Buffer.from((await source.read(ids[2]!))!.content).toString(), 'blob 2\n', 'and the next one');
  });

/** Reads through `base` that count the listings of the pack folder, and every call. */
function countCalls(base: PromiseFsClient): { reads: PromiseFsClient; listings: () => number; calls: () => number } {
  let [listings, calls] = [0, 0];
  const counted = Object.fromEntries(
    Object.entries(base.promises).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        calls++;
        if (name === 'readdir' && String(args[0]).endsWith('/objects/pack')) listings++;
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  return { reads: { promises: counted } as unknown as PromiseFsClient, listings: () => listings, calls: () => calls };
}

for (const [name, base] of [
  ['blocking', blockingReads],
  ['main-thread', mainThreadReads],
] as const)
  t.test(`the packs are listed once, and again only when a read finds nothing (${name} reads)`, async (t) => {
    const dir = tempDir(t);
    const ids = await packedApart(dir, 3);
    const gitdir = `${dir}/r.git`;
    const { reads, listings, calls } = countCalls(base);
    const source = new IsoGitSource(gitdir, 0, reads);
    for (const [i, id] of ids.entries())
      t.equal(Buffer.from((await source.read(id))!.content).toString(), `blob ${i}\n`);
    t.equal(listings(), 1, 'three packed reads, one listing');

    // A pack landed after the listing (a push): its object is found by listing again.
    const [later] = await packedApartIn(gitdir, dir, ['blob later\n']);
    t.equal(Buffer.from((await source.read(later!))!.content).toString(), 'blob later\n', 'the new pack read');
    t.equal(listings(), 2, 'listed again once');
    let before = calls();
    t.equal(Buffer.from((await source.read(ids[0]!))!.content).toString(), 'blob 0\n');
    const hit = calls() - before;
    t.equal(listings(), 2, 'and kept again');

    before = calls();
    t.equal(await source.read(parseOid('1'.repeat(40))!), null, 'a missing object is null');
    t.equal(listings(), 3, 'after one more listing, not a listing per pack');
    t.equal(calls() - before, hit + 1, 'and no second look: the calls of a packed read, and the listing');
  });

/** Each text a blob packed in a pack of its own in `gitdir` (not loose); gives their ids. */
async function packedApartIn(gitdir: string, dir: string, texts: string[]): Promise<Oid[]> {
  const ids: Oid[] = [];
  for (const text of texts) {
    writeFileSync(`${dir}/f`, text);
    const id = (await gitOk(gitdir, ['hash-object', '-w', `${dir}/f`])).trim();
    await gitOk(gitdir, ['pack-objects', '-q', `${gitdir}/objects/pack/pack`], { input: `${id}\n` });
    ids.push(parseOid(id)!);
  }
  await gitOk(gitdir, ['prune-packed']);
  return ids;
}
