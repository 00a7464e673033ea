// The evaluation cache bounded in bytes (issue 17) besides entries: filled past its bound with
// parsed files, trees and commits, its estimated bytes stay under the bound, the oldest go first,
// and the estimate of a parsed messages.md follows its source size.

import t from 'tap';
import { EvaluationCache, PARSED_MESSAGES_FACTOR } from '../../core/evaluate/cache.js';
import type { Commit, Oid, TreeEntry } from '../../core/objects.js';

const oid = (i: number) => i.toString(16).padStart(40, '0') as Oid;

t.test('the public surface', async (t) => {
  const c = new EvaluationCache();
  t.equal(c.bytes, 0);
  t.equal(c.maxBytes, 64 * 1024 * 1024, 'a bound in bytes by default');
  t.ok(PARSED_MESSAGES_FACTOR >= 1);
});

t.test('filled past its bound, the bytes held stay under it', async (t) => {
  const c = new EvaluationCache(100_000, 200_000);
  for (let i = 0; i < 500; i++) {
    c.put(c.messages, oid(i), { messages: [], size: 10_000, lines: 100 });
    const tree: TreeEntry[] = Array.from({ length: 20 }, (_, k) => ({ mode: '100644', name: `f${k}`, oid: oid(k) }));
    c.put(c.trees, oid(100_000 + i), tree);
    t.ok(c.bytes <= 200_000, `within the bound after ${i + 1} rounds`);
  }
  t.ok(c.bytes > 100_000, 'and it is used');
  t.notOk(c.messages.has(oid(0)), 'the oldest are forgotten');
  t.ok(c.messages.has(oid(499)), 'the newest kept');
  t.ok(c.messages.size < 500 && c.trees.size < 500);
});

t.test('a parsed file is counted by its source size times the factor', async (t) => {
  const c = new EvaluationCache(100, 1_000_000);
  c.put(c.messages, oid(1), { messages: [], size: 50_000, lines: 10 });
  t.ok(c.bytes >= 50_000 * PARSED_MESSAGES_FACTOR);
  c.put(c.messages, oid(1), { messages: [], size: 10_000, lines: 10 });
  t.ok(c.bytes < 50_000 * PARSED_MESSAGES_FACTOR, 'putting an id again replaces its count');
  c.put(c.messages, oid(2), { messages: [], size: 200_000, lines: 10 });
  t.notOk(c.messages.has(oid(2)), 'a value over a quarter of the bound is not kept');
});

t.test('the entry limit still holds per map, and its bytes are given back', async (t) => {
  const c = new EvaluationCache(3, 1_000_000);
  const commit: Commit = {
    tree: oid(0),
    parents: [],
    author: { name: 'A', email: 'a@ccr.invalid', timestamp: 0, timezone: '+0000' },
    committer: { name: 'A', email: 'a@ccr.invalid', timestamp: 0, timezone: '+0000' },
    extra: [],
    message: 'm\n',
  };
  for (let i = 0; i < 10; i++) c.put(c.commits, oid(i), commit);
  t.equal(c.commits.size, 3);
  const three = c.bytes;
  c.put(c.commits, oid(20), null);
  t.equal(c.commits.size, 3);
  t.ok(c.bytes < three, 'a null commit counts less than the one it pushed out');
});
