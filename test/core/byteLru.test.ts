// The byte-bounded memo (core/byteLru.ts): least recently used forgotten first, past a bound in bytes.

import t from 'tap';
import * as byteLru from '../../core/byteLru.js';
import { ByteLru } from '../../core/byteLru.js';

t.test('the public surface of the module', async (t) => {
  t.same(Object.keys(byteLru), ['ByteLru']);
});

t.test('values are kept until their bytes pass the bound, the least recently used forgotten first', async (t) => {
  const m = new ByteLru<string>(100);
  m.set('a', 'A', 25);
  m.set('b', 'B', 25);
  m.set('c', 'C', 25);
  t.equal(m.get('a'), 'A', 'a is now the most recently used');
  m.set('d', 'D', 25);
  t.equal(m.bytes, 100);
  m.set('e', 'E', 20);
  t.equal(m.get('b'), undefined, 'b, the least recently used, went first');
  t.same([m.get('a'), m.get('c'), m.get('d'), m.get('e')], ['A', 'C', 'D', 'E']);
  t.equal(m.bytes, 95);
  t.equal(m.size, 4);
});

t.test('a value over a quarter of the bound is not kept, and a key already held is not counted twice', async (t) => {
  const m = new ByteLru<number>(100);
  m.set('small', 1, 10);
  m.set('big', 2, 26);
  t.equal(m.get('big'), undefined, 'not kept: it would push out everything else');
  t.equal(m.get('small'), 1, 'and nothing was pushed out for it');
  m.set('small', 3, 10);
  t.equal(m.bytes, 10);
  t.equal(m.get('small'), 1, 'the first value stays (values of a key never change: objects are immutable)');
});

t.test('false and zero are values, told apart from a miss', async (t) => {
  const m = new ByteLru<boolean | number>(1000);
  m.set('no', false, 10);
  m.set('zero', 0, 10);
  t.equal(m.get('no'), false);
  t.equal(m.get('zero'), 0);
  t.equal(m.get('missing'), undefined);
});

t.test('a deleted key gives back its bytes, and can be set again with another value', async (t) => {
  const m = new ByteLru<string>(100);
  m.set('a', 'A', 20);
  m.set('b', 'B', 20);
  m.delete('a');
  m.delete('missing');
  t.same([m.get('a'), m.get('b'), m.bytes, m.size], [undefined, 'B', 20, 1]);
  m.set('a', 'A2', 25);
  t.same([m.get('a'), m.bytes], ['A2', 45]);
});
