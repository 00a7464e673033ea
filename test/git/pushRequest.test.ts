// A receive-pack request read for judging the push ahead (git/pushRequest.ts): the plain shape git
// sends is read; every other shape gives null, and the push is judged from the quarantine only.

import t from 'tap';
import { parsePushRequest } from '../../git/pushRequest.js';

const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const PACK = 'PACK\u0000\u0000\u0000\u0002';
const caps = 'report-status side-band-64k quiet object-format=sha1 agent=git/2.39.5';
const body = (...parts: string[]) => Buffer.from(parts.join(''), 'latin1');

t.test('the plain shape: ref lines, a flush, the pack', async (t) => {
  const one = parsePushRequest(body(pkt(`${A} ${B} refs/heads/main\0${caps}`), '0000', PACK));
  t.same(one?.updates, [{ old: A, new: B, ref: 'refs/heads/main' }]);
  t.equal(one?.pack.toString('latin1'), PACK, 'the pack is what follows the flush');
  const two = parsePushRequest(
    body(pkt(`${A} ${B} refs/heads/main\0${caps}\n`), pkt(`${'0'.repeat(40)} ${C} refs/heads/other\n`), '0000', PACK),
  );
  t.same(
    two?.updates.map((u) => u.ref),
    ['refs/heads/main', 'refs/heads/other'],
    'two lines, a newline after each',
  );
});

t.test('any other shape is not read', async (t) => {
  const shapes: Array<[string, Buffer]> = [
    ['empty', body()],
    ['no pack (a delete only)', body(pkt(`${A} ${'0'.repeat(40)} refs/heads/main\0${caps}`), '0000')],
    ['a shallow line first', body(pkt(`shallow ${A}`), pkt(`${A} ${B} refs/heads/main\0${caps}`), '0000', PACK)],
    ['a signed push certificate', body(pkt(`push-cert\0${caps} push-cert`), pkt('certificate version 0.1\n'), PACK)],
    ['no capabilities on the first line', body(pkt(`${A} ${B} refs/heads/main`), '0000', PACK)],
    ['a newline in the ref name (git keeps it)', body(pkt(`${A} ${B} refs/heads/main\n\0${caps}`), '0000', PACK)],
    ['a control character in a ref name', body(pkt(`${A} ${B} refs/heads/ma\tin\0${caps}`), '0000', PACK)],
    [
      'capabilities on a later line',
      body(pkt(`${A} ${B} refs/heads/main\0${caps}`), pkt(`${A} ${C} refs/heads/x\0x`), '0000', PACK),
    ],
    ['a short id', body(pkt(`${A.slice(1)} ${B} refs/heads/main\0${caps}`), '0000', PACK)],
    ['an upper-case id', body(pkt(`${A.toUpperCase()} ${B} refs/heads/main\0${caps}`), '0000', PACK)],
    ['a fourth field', body(pkt(`${A} ${B} refs/heads/main extra\0${caps}`), '0000', PACK)],
    ['a length that is not hex', body(`zz10${A}`, '0000', PACK)],
    ['a length past the end', body(`0fff${A} ${B} refs/heads/main`)],
    ['a delimiter packet (protocol v2)', body('0001', PACK)],
    ['no flush', body(pkt(`${A} ${B} refs/heads/main\0${caps}`))],
    // Not advertised by the server (receive.advertisePushOptions is off): git would take them for the pack.
    [
      'push options',
      body(pkt(`${A} ${B} refs/heads/main\0${caps} push-options`), '0000', pkt('ci.skip'), '0000', PACK),
    ],
  ];
  for (const [name, b] of shapes) t.equal(parsePushRequest(b), null, name);
});
