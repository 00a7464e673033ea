// The first-parent chain read in process for the events feed (git/firstParents.ts): the chain
// `git rev-list --first-parent --reverse old..head` gives when `old` is a few first parents back,
// and null (git is asked) when it is not on the chain, too far, or an object is missing.

import t from 'tap';
import { firstParentsSince } from '../../git/firstParents.js';
import { formatCommit, isOid, type Oid } from '../../core/objects.js';
import { putObject, type NewObjects, type ObjectSource, type StoredObject } from '../../core/source.js';

const objects: NewObjects = new Map();
const source: ObjectSource = {
  read: async (oid: Oid) => {
    const o = objects.get(oid);
    return o ? ({ type: o.type, size: o.content.length, content: o.content } as StoredObject) : null;
  },
};
const who = { name: 'T', email: 't@ccr.invalid', timestamp: 1_700_000_000, timezone: '+0000' };
const tree = putObject(objects, 'tree', new Uint8Array());
let n = 0;
const commit = (parents: Oid[]) =>
  putObject(objects, 'commit', formatCommit({ tree, parents, author: who, committer: who, message: `c${n++}\n` }));

// a - b - c - m - d on the first-parent line; m merges x (a side branch from a).
const a = commit([]);
const b = commit([a]);
const c = commit([b]);
const x = commit([a]);
const m = commit([c, x]);
const d = commit([m]);

t.test('the commits after old along first parents, oldest first', async (t) => {
  t.same(await firstParentsSince(source, c, d), [m, d]);
  t.same(await firstParentsSince(source, d, d), []);
  t.same(await firstParentsSince(source, null, d), [a, b, c, m, d]);
});

t.test('null when old is off the first-parent line, too far back, or an object is missing', async (t) => {
  t.equal(await firstParentsSince(source, x, d), null, 'reached only through a second parent');
  t.equal(await firstParentsSince(source, a, d, 2), null, 'more steps than allowed');
  t.equal(await firstParentsSince(source, null, d, 3), null, 'a whole chain longer than allowed');
  const missing = '0'.repeat(40);
  if (!isOid(missing)) throw new Error('expected an object id');
  t.equal(await firstParentsSince(source, a, missing), null, 'head missing');
});
