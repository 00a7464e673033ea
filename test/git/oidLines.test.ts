import t from 'tap';
import * as oidLines from '../../git/oidLines.js';

const A = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const B = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

t.test('the module exports its API', async (t) => {
  t.same(Object.keys(oidLines).sort(), ['oidsOfLine']);
});

t.test('reads a commit and its parents from a line of rev-list --parents', async (t) => {
  t.same(oidLines.oidsOfLine(`${A} ${B}`, 'git rev-list'), [A, B]);
  t.same(oidLines.oidsOfLine(A, 'git rev-list'), [A]);
});

t.test('throws, naming the command, when a word is not a full object id', async (t) => {
  for (const bad of ['', A.slice(0, 12), `${A}  ${B}`, A.toUpperCase(), `${A}\n`]) {
    t.throws(() => oidLines.oidsOfLine(bad, 'git rev-list'), /git rev-list printed/, `refuses ${JSON.stringify(bad)}`);
  }
});
