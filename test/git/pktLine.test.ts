// pkt-lines as git frames them (git/pktLine.ts), read for a fetch's and a push's request.

import t from 'tap';
import { pktAt } from '../../git/pktLine.js';

t.test('pkt-lines: payloads, the three special packets, and what is not one', async (t) => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  t.same(
    pktAt(b('0009want\n0000'), 0),
    { start: 4, end: 9, next: 9 },
    'a payload, the length counting its own four digits',
  );
  t.same(pktAt(b('0009want\n0000'), 9), { special: 0, next: 13 }, 'a flush');
  t.same(pktAt(b('0001'), 0), { special: 1, next: 4 }, 'a delimiter');
  t.same(pktAt(b('0002'), 0), { special: 2, next: 4 }, 'a response end');
  t.same(pktAt(b('000Awant\n\n'), 0), { start: 4, end: 10, next: 10 }, 'upper-case hex, as git reads it');
  t.same(pktAt(b('0004'), 0), { start: 4, end: 4, next: 4 }, 'an empty payload');
  for (const [name, bytes] of [
    ['0003, which git never sends', '0003x'],
    ['a length past the end', '0010want'],
    ['not hex', 'zz10want'],
    ['fewer than four bytes', '00'],
    ['nothing', ''],
  ] as const)
    t.equal(pktAt(b(bytes), 0), null, name);
});
