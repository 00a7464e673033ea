// core/ has no import cycle: each module of it can be read (and tested) after the ones it imports.

import t from 'tap';
import { cycles, importGraph } from '../helpers/importGraph.js';

t.test('no module of core/ imports itself through others', async (t) => {
  t.same(
    cycles(importGraph('core')).map((c) => c.join(' → ')),
    [],
  );
});

t.test('the cycle finder finds a cycle of three and ignores edges leaving the graph', async (t) => {
  const graph = new Map([
    ['a', ['b', 'x']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  t.same(cycles(graph), [['a', 'b', 'c', 'a']]);
});
