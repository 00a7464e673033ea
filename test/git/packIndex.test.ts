// A pack index read for whether it lists an object (git/packIndex.ts), against indexes git wrote:
// every id `git show-index` lists is found, ids it does not list are not, and a file in any other
// shape lists nothing.

import { readFileSync, readdirSync } from 'node:fs';
import t from 'tap';
import { parseOid, type Oid } from '../../core/objects.js';
import { packIndexHolds } from '../../git/packIndex.js';
import { runGit } from '../../git/run.js';
import { tempDir } from '../helpers/tmp.js';

t.test('every id git lists in its index is found; others are not', async (t) => {
  const dir = tempDir(t);
  t.equal((await runGit(['init', '-q', '--bare', dir])).code, 0);
  // 300 blobs: every first byte's bucket in use, most more than once.
  const blobs = Array.from({ length: 300 }, (_, i) => `blob ${i}\n`).join('\0');
  const ids: Oid[] = [];
  for (const text of blobs.split('\0')) {
    const r = await runGit(['--git-dir', dir, 'hash-object', '-w', '--stdin'], { input: text });
    ids.push(parseOid(r.stdout.toString().trim())!);
  }
  const packed = await runGit(['--git-dir', dir, 'pack-objects', '-q', `${dir}/objects/pack/pack`], {
    input: ids.join('\n') + '\n',
  });
  t.equal(packed.code, 0, packed.stderr);
  const name = readdirSync(`${dir}/objects/pack`).find((n) => n.endsWith('.idx'))!;
  const idx = readFileSync(`${dir}/objects/pack/${name}`);
  const listed = (await runGit(['show-index'], { input: idx })).stdout.toString().trim().split('\n');
  t.equal(listed.length, 300, 'git lists 300 objects');
  t.ok(
    ids.every((id) => packIndexHolds(idx, id)),
    'each one is found',
  );
  // Ids one digit away from each listed one, those git does not list: none is found.
  const flipped = ids
    .map((id) => parseOid(id.slice(0, 39) + (id.endsWith('0') ? '1' : '0'))!)
    .filter((id) => !listed.some((l) => l.includes(id)));
  t.ok(flipped.length > 250, 'most ids one digit away are not in the pack');
  t.notOk(
    flipped.some((id) => packIndexHolds(idx, id)),
    'ids one digit away are not',
  );
  t.notOk(packIndexHolds(idx, parseOid('0'.repeat(40))!), 'the lowest id');
  t.notOk(packIndexHolds(idx, parseOid('f'.repeat(40))!), 'the highest id');
  t.notOk(packIndexHolds(Buffer.from('not an index'), ids[0]!), 'a file in another shape');
  t.notOk(packIndexHolds(idx.subarray(0, 1000), ids[0]!), 'a truncated index');
});
