// The malformed-object corpus: trees and commits git's own writers never make, each built by hand
// from a good commit (one that appends a message to the base thread). `ccr verify` must refuse
// every one with ccr/object-format (an auditor's clone runs no fsck); a push of one is refused by
// git's fsck on receive where git knows the problem, else by CCR's hook with the same rule id.

import { ruleIds, type RuleId } from '../../core/findings.js';
import { catBlob, catCommit, lsTree, withThreadTree, writeRaw, type RawEntry } from '../helpers/objects.js';
import { THREAD } from './record.js';

/** One malformed object and who refuses it. */
export interface ObjectCase {
  name: string;
  /** git fsck's message id when git's receive.fsckObjects refuses it; null when git takes it. */
  fsck: string | null;
  /** The rule CCR refuses it with. */
  expect: RuleId;
  /** The client's own git cannot send it (pack-objects fails first), so it is only verified. */
  unpushable?: boolean;
  /** The bad commit, made in `gitdir` from the good commit `good`. */
  make(gitdir: string, good: string): Promise<string>;
}

type Make = ObjectCase['make'];
const threadEntries = (gitdir: string, good: string) => lsTree(gitdir, `${good}:communications/${THREAD}`);
/** The good commit with its thread folder's entries changed. */
const thread =
  (fn: (e: RawEntry[]) => RawEntry[]): Make =>
  async (gitdir, good) =>
    withThreadTree(gitdir, good, THREAD, fn(await threadEntries(gitdir, good)));
/** The good commit with its root folder's entries changed. */
const root =
  (fn: (e: RawEntry[]) => RawEntry[]): Make =>
  async (gitdir, good) =>
    withThreadTree(gitdir, good, THREAD, await threadEntries(gitdir, good), fn);
/** The good commit with its raw text changed. */
const commit =
  (fn: (text: string) => string): Make =>
  async (gitdir, good) =>
    writeRaw(gitdir, 'commit', fn(await catCommit(gitdir, good)));
const byName = (entries: RawEntry[], name: string) => entries.find((e) => e[1] === name)!;
const mode = (name: string, to: string) => (e: RawEntry[]) =>
  e.map((x): RawEntry => (x[1] === name ? [to, x[1], x[2]] : x));
/** The good commit with a line added after its `header` line. */
const afterLine = (header: string, added: (t: string) => string) =>
  commit((t) => t.replace(new RegExp(`^(${header} .*\n)`, 'm'), (line) => line + added(t)));
const other = 'Someone Else <else@ccr.invalid> 1768208405 +0000';
const malformed = (name: string, fsck: string | null, make: Make, more: Partial<ObjectCase> = {}): ObjectCase => ({
  name,
  fsck,
  expect: ruleIds.objectFormat,
  make,
  ...more,
});

/** A thread folder whose second messages.md rewrites the first message (what a checkout would show). */
const rewritten: Make = async (gitdir, good) => {
  const entries = await threadEntries(gitdir, good);
  const text = (await catBlob(gitdir, byName(entries, 'messages.md')[2])).replace(
    'shortness of breath',
    'no complaints',
  );
  return withThreadTree(gitdir, good, THREAD, [
    ...entries,
    ['100644', 'messages.md', await writeRaw(gitdir, 'blob', text)],
  ]);
};

export const objectCases: ObjectCase[] = [
  malformed('a thread folder with two messages.md, the second a rewritten history', 'duplicateEntries', rewritten),
  malformed(
    "a thread folder whose entries are not in git's order",
    'treeNotSorted',
    thread((e) => [...e].reverse()),
  ),
  malformed('a folder mode written with a leading zero', 'zeroPaddedFilemode', root(mode('communications', '040000'))),
  malformed(
    'a folder named .GIT',
    'hasDotgit',
    root((e) => [['40000', '.GIT', byName(e, 'communications')[2]], ...e]),
  ),
  malformed(
    'an entry named ..',
    'hasDotdot',
    root((e) => [['40000', '..', byName(e, 'communications')[2]], ...e]),
  ),
  malformed(
    'an entry whose name holds a slash',
    'fullPathname',
    thread((e) => [...e, ['100644', 'x/y', byName(e, 'ledger.yaml')[2]]]),
  ),
  malformed(
    'an entry pointing at the null id',
    'nullSha1',
    thread((e) => [...e, ['100644', 'notes.md', '0'.repeat(40)]]),
    { unpushable: true },
  ),
  malformed('a file mode git does not write (100664)', null, thread(mode('messages.md', '100664'))),
  malformed(
    'a commit with two author lines',
    'multipleAuthors',
    afterLine('author', () => `author ${other}\n`),
  ),
  // `$10$2`: group 1, a zero, group 2 (there is no group 10).
  malformed(
    'a commit with a zero-padded date',
    'zeroPaddedDate',
    commit((t) => t.replace(/^(author .*> )(\d+)/m, '$10$2')),
  ),
  malformed(
    'a commit with a NUL byte hiding text in its message',
    'nulInCommit',
    commit((t) => `${t}\0Care-Location: Elsewhere\n`),
  ),
  malformed(
    'a commit with a second committer line',
    null,
    afterLine('committer', () => `committer ${other}\n`),
  ),
  malformed(
    'a commit with a second tree header after the committer',
    null,
    afterLine('committer', (t) => /^tree .*\n/m.exec(t)![0]),
  ),
  malformed(
    'a commit that declares another encoding',
    null,
    afterLine('committer', () => 'encoding ISO-8859-1\n'),
  ),
];
