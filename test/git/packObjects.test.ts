// A push's pack read in process (git/packObjects.ts), for judging a push ahead: whole objects,
// ofs-deltas, and a thin pack's ref-deltas against objects the record has, checked against what
// git's own cat-file gives; and every malformed pack refused as unread, never guessed at.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import t from 'tap';
import { applyDelta, readPackObjects, UnreadPack } from '../../git/packObjects.js';
import { runGit } from '../../git/run.js';
import { IsoGitSource } from '../../git/store.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A repository whose second commit changes a long file a little (git deltas it), and its ids. */
async function repository(dir: string) {
  await gitOk(dir, ['init', '-q', '--initial-branch=main']);
  const long = Array.from({ length: 400 }, (_, i) => `Line ${i} of a long conversation.\n`).join('');
  writeFileSync(`${dir}/messages.md`, long);
  writeFileSync(`${dir}/ledger.yaml`, 'status: open\n');
  await gitOk(dir, ['add', '.']);
  await gitOk(dir, ['commit', '-q', '-m', 'first']);
  const first = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
  writeFileSync(`${dir}/messages.md`, `${long}One more line.\n`);
  await gitOk(dir, ['commit', '-q', '-am', 'second']);
  const second = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
  return { gitdir: `${dir}/.git`, first, second };
}

/** A pack of `revs` made by git (pack-objects with the given options). */
async function packOf(gitdir: string, revs: string, options: string[]): Promise<Buffer> {
  const r = await runGit(['--git-dir', gitdir, 'pack-objects', '--stdout', '--revs', ...options], { input: revs });
  t.equal(r.code, 0, r.stderr);
  return r.stdout as Buffer;
}

/** Every object git lists for `range`, with its type and content from cat-file. */
async function objectsOf(gitdir: string, range: string[]) {
  const listed = (await runGit(['--git-dir', gitdir, 'rev-list', '--objects', ...range])).stdout.toString();
  const ids = listed
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(0, 40));
  const out = new Map<string, { type: string; content: Buffer }>();
  for (const id of ids) {
    const type = (await runGit(['--git-dir', gitdir, 'cat-file', '-t', id])).stdout.toString().trim();
    out.set(id, { type, content: (await runGit(['--git-dir', gitdir, 'cat-file', type, id])).stdout as Buffer });
  }
  return out;
}

/** The pack with its trailer made right again after a change. */
function resealed(pack: Buffer): Buffer {
  const body = pack.subarray(0, pack.length - 20);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

const none = () => Promise.resolve(null);

t.test('packs git makes are read as git reads them', async (t) => {
  const r = await repository(tempDir(t));
  const repo = new IsoGitSource(r.gitdir);
  const cases: Array<[string, string, string[], string[]]> = [
    ['a whole pack with ofs-deltas', `${r.second}\n`, ['--delta-base-offset'], [r.second]],
    ['a whole pack with ref-deltas', `${r.second}\n`, [], [r.second]],
    [
      'a thin pack (ref-deltas against the record)',
      `${r.second}\n^${r.first}\n`,
      ['--thin'],
      [r.second, `^${r.first}`],
    ],
    ['a pack without deltas', `${r.second}\n`, ['--window=0'], [r.second]],
  ];
  const sizes: number[] = [];
  for (const [name, revs, options, range] of cases) {
    const pack = await packOf(r.gitdir, revs, options);
    sizes.push(pack.length);
    let asked = 0;
    const objects = await readPackObjects(pack, (oid) => (asked++, repo.read(oid)), 1024 * 1024);
    t.equal(asked > 0, options.includes('--thin'), `${name}: the record is asked for bases only for a thin pack`);
    const expected = await objectsOf(r.gitdir, range);
    t.same([...objects.keys()].sort(), [...expected.keys()].sort(), `${name}: the objects git lists`);
    for (const [oid, o] of objects) {
      const e = expected.get(oid)!;
      t.ok(
        o.type === e.type && Buffer.from(o.content).equals(e.content),
        `${name}: ${oid.slice(0, 8)} as cat-file gives it`,
      );
    }
  }
  t.ok(sizes[0]! < sizes[3]! && sizes[1]! < sizes[3]!, 'the packs with deltas are smaller: they hold deltas');
  const thin = await packOf(r.gitdir, `${r.second}\n^${r.first}\n`, ['--thin']);
  await t.rejects(
    readPackObjects(thin, none, 1024 * 1024),
    UnreadPack,
    'a thin pack whose base the record lacks is not read',
  );
});

t.test('malformed packs are not read, whatever is wrong with them', async (t) => {
  const r = await repository(tempDir(t));
  const pack = await packOf(r.gitdir, `${r.second}\n`, ['--window=0']);
  const bad = (name: string, bytes: Buffer, maxBytes = 1024 * 1024) =>
    t.rejects(readPackObjects(bytes, none, maxBytes), UnreadPack, name);
  const flipped = Buffer.from(pack);
  flipped[40] = flipped[40]! ^ 0xff;
  await bad('a byte changed (the checksum)', flipped);
  await bad('not a pack', resealed(Buffer.concat([Buffer.from('KCAP'), pack.subarray(4)])));
  const version = Buffer.from(pack);
  version.writeUInt32BE(4, 4);
  await bad('version 4', resealed(version));
  const more = Buffer.from(pack);
  more.writeUInt32BE(pack.readUInt32BE(8) + 1, 8);
  await bad('more entries announced than sent', resealed(more));
  const fewer = Buffer.from(pack);
  fewer.writeUInt32BE(pack.readUInt32BE(8) - 1, 8);
  await bad('bytes after the last entry', resealed(fewer));
  await bad('cut short', resealed(pack.subarray(0, pack.length - 40)));
  await bad('more bytes than allowed', pack, 1000);
  // An entry whose stated size is not what it inflates to: a blob of 5 bytes said to be 6.
  const entry = (head: number[], content: Buffer) => Buffer.concat([Buffer.from(head), deflateSync(content)]);
  const packWith = (...entries: Buffer[]) => {
    const head = Buffer.alloc(12);
    head.write('PACK', 0, 'latin1');
    head.writeUInt32BE(2, 4);
    head.writeUInt32BE(entries.length, 8);
    return resealed(Buffer.concat([head, ...entries, Buffer.alloc(20)]));
  };
  const blob = Buffer.from('hello');
  t.equal((await readPackObjects(packWith(entry([0x35], blob)), none, 64)).size, 1, 'a good blob entry is read');
  await bad('an entry larger than it says', packWith(entry([0x36], blob)));
  await bad('an entry of type 5', packWith(entry([0x55], blob)));
  await bad('an ofs-delta pointing before the pack', packWith(entry([0x35], blob), entry([0x65, 0x7f], blob)));
  await bad('an ofs-delta whose base is not an entry', packWith(entry([0x35], blob), entry([0x65, 0x03], blob)));
  // A delta that says its result is 3 GiB: refused before anything that size is allocated.
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    return [...out, n];
  };
  const huge = Buffer.from([...varint(blob.length), ...varint(3 * 2 ** 30), 0x90, 0x00]);
  const first = entry([0x35], blob);
  await bad(
    'a delta whose result is said to be 3 GiB',
    packWith(first, entry([0x60 | huge.length, first.length], huge)),
  );
  // Many ref-deltas against one base: grouped by base, each applied once.
  const copy = Buffer.from([...varint(blob.length), ...varint(blob.length), 0x90, blob.length]);
  const blobId = Buffer.from(createHash('sha1').update(`blob ${blob.length}\0`).update(blob).digest());
  const againstBlob = Buffer.concat([Buffer.from([0x70 | copy.length]), blobId, deflateSync(copy)]);
  const many = await readPackObjects(packWith(first, ...Array<Buffer>(30_000).fill(againstBlob)), none, 1024 * 1024);
  t.equal(many.size, 1, '30,000 deltas giving the blob again: one object');
  // A ref-delta whose base is made by a later ref-delta of the pack, itself against the record.
  const idOf = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest();
  const refDelta = (baseId: Buffer, delta: number[]) =>
    Buffer.concat([Buffer.from([0x70 | delta.length]), baseId, deflateSync(Buffer.from(delta))]);
  const twice = Buffer.from('hellohello');
  const chained = packWith(
    refDelta(idOf(twice), [10, 6, 0x90, 5, 0x01, 0x21]),
    refDelta(idOf(blob), [5, 10, 0x90, 5, 0x90, 5]),
  );
  const record = (oid: string) =>
    Promise.resolve(oid === idOf(blob).toString('hex') ? { type: 'blob' as const, size: 5, content: blob } : null);
  const read = await readPackObjects(chained, record, 1024);
  t.same(
    [...read.values()].map((o) => Buffer.from(o.content).toString()).sort(),
    ['hello!', 'hellohello'],
    'a delta against an object a later delta makes',
  );
  await t.rejects(
    readPackObjects(chained, record, 12),
    UnreadPack,
    "the record's bases count against the bytes allowed",
  );
  const selfBase = Buffer.concat([Buffer.from([0x75]), Buffer.alloc(20, 0xab), deflateSync(blob)]);
  await bad('a ref-delta against an object nobody has', packWith(selfBase));
});

t.test('deltas are applied strictly', async (t) => {
  const base = Buffer.from('0123456789');
  // Source size 10, result size 6: copy 4 bytes from offset 2, insert "ab".
  t.equal(applyDelta(base, Buffer.from([10, 6, 0x91, 2, 4, 2, 0x61, 0x62])).toString(), '2345ab');
  const bad = (name: string, delta: number[]) => t.throws(() => applyDelta(base, Buffer.from(delta)), UnreadPack, name);
  bad('a base of another size', [9, 6, 0x91, 2, 4, 2, 0x61, 0x62]);
  bad('a copy past the base', [10, 6, 0x91, 8, 4, 2, 0x61, 0x62]);
  bad('a result longer than it says', [10, 3, 0x91, 2, 4]);
  bad('a result shorter than it says', [10, 7, 0x91, 2, 4, 2, 0x61, 0x62]);
  bad('the reserved instruction 0', [10, 1, 0]);
  bad('an insert past the delta', [10, 2, 2, 0x61]);
  bad('a truncated copy', [10, 4, 0x91, 2]);
  // A result said to be 3 GiB, with 1,000 bytes left: refused by its header, before any allocation.
  t.throws(
    () => applyDelta(base, Buffer.from([10, 0x80, 0x80, 0x80, 0x80, 0x0c, 0x90, 0x00]), 1000),
    { name: 'UnreadPack', message: /larger than the 1000 bytes left/ },
    'a result larger than the bytes left',
  );
});
