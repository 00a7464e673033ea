// A worker thread's per-repository state under one byte budget (issue 17): the bytes kept stay
// under the bound after it is filled past it, the least recently used go first, and an idle
// thread trims to its smaller bound.

import t from 'tap';
import { RepositoryBudget } from '../../server/repositoryBudget.js';

/** A state whose size the test sets, as a pack cache or a parse cache grows with use. */
type State = { gitdir: string; bytes: number };

function budget(maxBytes: number, maxRepositories = 100) {
  const made: string[] = [];
  const b = new RepositoryBudget<State>(
    maxBytes,
    maxRepositories,
    (gitdir) => {
      made.push(gitdir);
      return { gitdir, bytes: 0 };
    },
    (s) => s.bytes,
  );
  return { b, made };
}

t.test('the bytes kept stay under the bound after filling it past it', async (t) => {
  const { b } = budget(10_000);
  for (let i = 0; i < 50; i++) {
    b.get(`r${i}`).bytes = 1_500;
    t.ok(b.trim() <= 10_000, `within the bound after repository ${i}`);
  }
  t.equal(b.count, 6, 'six states of 1,500 bytes fit in 10,000');
});

t.test('the least recently used state is dropped first; one used again is kept', async (t) => {
  const { b, made } = budget(3_000);
  for (const r of ['a', 'b', 'c']) b.get(r).bytes = 1_000;
  b.get('a');
  b.get('d').bytes = 1_000;
  b.trim();
  made.length = 0;
  b.get('a');
  b.get('c');
  b.get('d');
  t.same(made, [], 'a, c and d are still held');
  b.get('b');
  t.same(made, ['b'], 'b was dropped and is made again');
});

t.test('a state that grew past the bound alone is dropped too', async (t) => {
  const { b } = budget(1_000);
  b.get('big').bytes = 5_000;
  t.equal(b.trim(), 0);
  t.equal(b.count, 0);
});

t.test('an idle thread trims to its smaller bound, the most recent state kept', async (t) => {
  const { b, made } = budget(10_000);
  for (const r of ['a', 'b', 'c', 'd']) b.get(r).bytes = 2_000;
  t.equal(b.trim(), 8_000);
  t.equal(b.trim(2_500), 2_000);
  made.length = 0;
  b.get('d');
  t.same(made, [], 'd, the most recent, is kept');
});

t.test('the count of repositories is bounded as well', async (t) => {
  const { b } = budget(1_000_000, 32);
  for (let i = 0; i < 40; i++) b.get(`r${i}`).bytes = 10;
  b.trim();
  t.equal(b.count, 32);
});
