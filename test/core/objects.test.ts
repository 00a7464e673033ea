import fc from 'fast-check';
import t from 'tap';
import * as objects from '../../core/objects.js';
import {
  formatCommit,
  formatTree,
  hashObject,
  readCommitObject,
  readTreeObject,
  type Oid,
  type TreeEntry,
} from '../../core/objects.js';

const A = hashObject('blob', Buffer.from('a')) as Oid;
const B = hashObject('blob', Buffer.from('b')) as Oid;
const ident = { name: 'Dr Jane Smith', email: 'jane@ccr.invalid', timestamp: 1768142175, timezone: '+0000' };
const raw = (entries: Array<[string, string, string]>) =>
  Buffer.concat(entries.flatMap(([m, n, o]) => [Buffer.from(`${m} ${n}\0`), Buffer.from(o, 'hex')]));

t.test('the module exports what the evaluator and the store use', async (t) => {
  const api = [
    'readTreeObject',
    'readCommitObject',
    'parseTree',
    'parseCommit',
    'formatTree',
    'formatCommit',
    'hashObject',
    'isOid',
  ];
  for (const name of api) {
    t.type((objects as Record<string, unknown>)[name], 'function', name);
  }
});

t.test("a tree written by formatTree reads back unchanged, in git's order", async (t) => {
  const entries: TreeEntry[] = [
    { mode: '40000', name: 'foo', oid: A },
    { mode: '100644', name: 'foo.bar', oid: B },
    { mode: '100644', name: 'Foo', oid: A },
  ];
  const read = readTreeObject(formatTree(entries));
  t.equal(read.problem, null);
  t.same(
    read.entries.map((e) => e.name),
    ['Foo', 'foo.bar', 'foo'],
    'a folder sorts as if its name ended in /',
  );
});

t.test('any set of distinct acceptable names round-trips through formatTree without a problem', async () => {
  const name = fc
    .stringMatching(/^[A-Za-z0-9._-]{1,12}$/)
    .filter((n) => n !== '.' && n !== '..' && !/^\.git[. ]*$/i.test(n) && !/^git~1$/i.test(n));
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(name, fc.boolean()), { selector: ([n]) => n, maxLength: 12 }), (list) => {
      const entries = list.map(([n, dir]) => ({ mode: dir ? '40000' : '100644', name: n, oid: A }));
      const read = readTreeObject(formatTree(entries));
      return read.problem === null && read.entries.length === entries.length;
    }),
  );
});

t.test('a malformed tree is named with what git fsck would report', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    [
      'duplicate names',
      raw([
        ['100644', 'messages.md', A],
        ['100644', 'messages.md', B],
      ]),
      /expected each name once in a tree, found `messages\.md` twice/,
    ],
    [
      'a file and a folder of one name',
      raw([
        ['100644', 'x', A],
        ['40000', 'x', B],
      ]),
      /found `x` twice/,
    ],
    [
      'names out of order',
      raw([
        ['100644', 'messages.md', A],
        ['100644', 'ledger.yaml', B],
      ]),
      /expected tree entries in git's order, found `ledger\.yaml` after/,
    ],
    [
      'a folder sorted as a file',
      raw([
        ['40000', 'foo', A],
        ['100644', 'foo.bar', B],
      ]),
      /git's order/,
    ],
    [
      'a zero-padded mode',
      raw([['040000', 'communications', A]]),
      /expected modes without leading zeros, found 040000/,
    ],
    ['a mode git does not write', raw([['100664', 'f', A]]), /expected one of the modes git writes .*found 100664/],
    ['a mode that is not octal', raw([['10064x', 'f', A]]), /expected an octal mode/],
    ['an empty name', raw([['100644', '', A]]), /found an empty name/],
    ['a name .', raw([['100644', '.', A]]), /found the name `\.`/],
    ['a name ..', raw([['40000', '..', A]]), /found the name `\.\.`/],
    ['.git in capitals', raw([['40000', '.GiT', A]]), /found the name `\.GiT`/],
    ['.git as NTFS reads it', raw([['40000', '.git. ', A]]), /found the name/],
    ['.git as HFS+ reads it', raw([['40000', '.g\u200cit', A]]), /found the name/],
    ['the NTFS short name of .git', raw([['40000', 'GIT~1', A]]), /found the name `GIT~1`/],
    ['a slash in a name', raw([['100644', 'a/b', A]]), /found a name with `\/`/],
    ['the null id', raw([['100644', 'f', '0'.repeat(40)]]), /found the null id/],
    ['a truncated entry', raw([['100644', 'f', A]]).subarray(0, 20), /found a truncated entry at byte 0/],
  ];
  for (const [what, bytes, problem] of cases) t.match(readTreeObject(bytes).problem, problem, what);
  t.same(
    readTreeObject(
      raw([
        ['100644', 'a', A],
        ['100644', 'a', B],
      ]),
    ).entries.length,
    2,
    'the entries read are still given',
  );
  t.equal(
    objects.parseTree(
      raw([
        ['100644', 'a', A],
        ['100644', 'a', B],
      ]),
    ),
    null,
    'parseTree refuses it',
  );
});

t.test('a commit written by formatCommit reads back, a multi-line signature included', async (t) => {
  const gpgsig: [string, string] = ['gpgsig', '-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----'];
  const message = 'coordination:update: Added message to thread\n\nCare-Location: Ward 7\n';
  const commit = { tree: A, parents: [B], author: ident, committer: ident, extra: [gpgsig], message };
  t.same(readCommitObject(formatCommit(commit)), { ok: true, value: commit });
  const a = { name: 'A', email: 'a', timestamp: 1, timezone: '+0000' };
  t.same(
    readCommitObject(Buffer.from(`tree ${A}\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\n`)),
    { ok: true, value: { tree: A, parents: [], author: a, committer: a, extra: [], message: '' } },
    'headers ending in a newline without a message, as fsck allows',
  );
});

t.test('a malformed commit is named with what is wrong', async (t) => {
  const head = (s: string) => Buffer.from(s.replace(/\bT\b/g, A).replace(/\bP\b/g, B));
  const who = 'Jane <jane@ccr.invalid> 1768142175 +0000';
  const cases: Array<[string, Buffer, RegExp]> = [
    [
      'no tree header',
      head(`parent P\nauthor ${who}\ncommitter ${who}\n\nm\n`),
      /expected a `tree` header first, found `parent`/,
    ],
    ['a short tree id', head(`tree abc\nauthor ${who}\ncommitter ${who}\n\nm\n`), /expected a tree id/],
    [
      'a bad parent id',
      head(`tree T\nparent xyz\nauthor ${who}\ncommitter ${who}\n\nm\n`),
      /expected a commit id in each `parent` header/,
    ],
    [
      'two authors',
      head(`tree T\nauthor ${who}\nauthor ${who}\ncommitter ${who}\n\nm\n`),
      /expected one `committer` header .* found `author`/,
    ],
    ['no committer', head(`tree T\nauthor ${who}\n\nm\n`), /expected one `committer` header .* found none/],
    [
      'two committers',
      head(`tree T\nauthor ${who}\ncommitter ${who}\ncommitter ${who}\n\nm\n`),
      /found another `committer` header/,
    ],
    [
      'a tree header after the committer',
      head(`tree T\nauthor ${who}\ncommitter ${who}\ntree T\n\nm\n`),
      /found another `tree` header/,
    ],
    [
      'a repeated extra header',
      head(`tree T\nauthor ${who}\ncommitter ${who}\nencoding UTF-8\nencoding UTF-8\n\nm\n`),
      /found another `encoding` header/,
    ],
    [
      'another encoding',
      head(`tree T\nauthor ${who}\ncommitter ${who}\nencoding ISO-8859-1\n\nm\n`),
      /expected a commit in UTF-8, found `encoding ISO-8859-1`/,
    ],
    [
      'a zero-padded date',
      head(`tree T\nauthor Jane <j> 0123 +0000\ncommitter ${who}\n\nm\n`),
      /expected `author Name <email> seconds \+hhmm`/,
    ],
    ['a > in the name', head(`tree T\nauthor Ja>ne <j> 1 +0000\ncommitter ${who}\n\nm\n`), /expected `author/],
    ['two emails', head(`tree T\nauthor Jane <j> <k> 1 +0000\ncommitter ${who}\n\nm\n`), /expected `author/],
    ['a bad time zone', head(`tree T\nauthor ${who}\ncommitter Jane <j> 1 +000\n\nm\n`), /expected `committer/],
    [
      'a continuation of the author line',
      head(`tree T\nauthor ${who}\n more\ncommitter ${who}\n\nm\n`),
      /expected continuation lines only after a multi-line header such as gpgsig, found one after `author`/,
    ],
    [
      'a NUL byte',
      Buffer.concat([head(`tree T\nauthor ${who}\ncommitter ${who}\n\nm`), Buffer.from([0]), Buffer.from('hidden\n')]),
      /expected no NUL byte in a commit object, found one at byte/,
    ],
    [
      'invalid UTF-8',
      Buffer.concat([head(`tree T\nauthor ${who}\ncommitter ${who}\n\nm`), Buffer.from([0xff, 0x0a])]),
      /expected a commit object in UTF-8/,
    ],
    ['an unterminated header', head(`tree T\nauthor ${who}\ncommitter ${who}`), /found an unterminated header/],
    [
      'a header line without a value',
      head(`tree T\nauthor ${who}\ncommitter ${who}\nnovalue\n\nm\n`),
      /expected commit header lines/,
    ],
  ];
  for (const [what, bytes, problem] of cases) {
    const read = readCommitObject(bytes);
    t.match(read.ok ? '(accepted)' : read.problem, problem, what);
  }
  t.equal(
    objects.parseCommit(head(`tree T\nauthor ${who}\ncommitter ${who}\ncommitter ${who}\n\nm\n`)),
    null,
    'parseCommit refuses it',
  );
});

t.test('the object id parser accepts 40 lowercase hex characters and refuses others', async (t) => {
  t.equal(objects.parseOid(objects.EMPTY_TREE), objects.EMPTY_TREE);
  for (const bad of [
    objects.EMPTY_TREE.toUpperCase(),
    objects.EMPTY_TREE.slice(1),
    `${objects.EMPTY_TREE}0`,
    ` ${objects.EMPTY_TREE}`,
    '',
    40,
    null,
  ]) {
    t.equal(objects.parseOid(bad), null, `refuses ${JSON.stringify(bad)}`);
  }
  t.throws(() => objects.oidOf('not hex'), TypeError, 'an id the program computed wrongly is a bug');
});
