// The malformed-object corpus: trees and commits git's own writers never make, each built by hand
// from a good commit (one that appends a message to the base thread). `ccr verify` must refuse
// every one with ccr/object-format (an auditor's clone runs no fsck); a push of one is refused by
// git's fsck on receive where git knows the problem, else by CCR's hook with the same rule id.

import { ruleIds, type RuleId } from '../../core/findings.js';
import { catBlob, catCommit, lsTree, rawTree, withThreadTree, writeRaw, type RawEntry } from '../helpers/objects.js';
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

const threadEntries = (gitdir: string, good: string) => lsTree(gitdir, `${good}:communications/${THREAD}`);
const thread = (gitdir: string, good: string, fn: (e: RawEntry[]) => RawEntry[] | Promise<RawEntry[]>) =>
  threadEntries(gitdir, good).then(fn).then((entries) => withThreadTree(gitdir, good, THREAD, entries));
const root = (gitdir: string, good: string, fn: (e: RawEntry[]) => RawEntry[]) => threadEntries(gitdir, good).then((entries) => withThreadTree(gitdir, good, THREAD, entries, fn));
/** The good commit with its raw text changed. */
const commit = (fn: (text: string) => string) => async (gitdir: string, good: string) => writeRaw(gitdir, 'commit', fn(await catCommit(gitdir, good)));
const byName = (entries: RawEntry[], name: string) => entries.find((e) => e[1] === name)!;

export const objectCases: ObjectCase[] = [
  {
    name: 'a thread folder with two messages.md, the second a rewritten history', fsck: 'duplicateEntries', expect: ruleIds.objectFormat,
    make: (gitdir, good) => thread(gitdir, good, async (e) => {
      const text = await writeRaw(gitdir, 'blob', (await catBlob(gitdir, byName(e, 'messages.md')[2])).replace('shortness of breath', 'no complaints'));
      return [...e, ['100644', 'messages.md', text]];
    }),
  },
  { name: 'a thread folder whose entries are not in git\'s order', fsck: 'treeNotSorted', expect: ruleIds.objectFormat, make: (g, c) => thread(g, c, (e) => [...e].reverse()) },
  { name: 'a folder mode written with a leading zero', fsck: 'zeroPaddedFilemode', expect: ruleIds.objectFormat, make: (g, c) => root(g, c, (e) => e.map((x): RawEntry => (x[1] === 'communications' ? ['040000', x[1], x[2]] : x))) },
  { name: 'a folder named .GIT', fsck: 'hasDotgit', expect: ruleIds.objectFormat, make: (g, c) => root(g, c, (e) => [['40000', '.GIT', byName(e, 'communications')[2]], ...e]) },
  { name: 'an entry named ..', fsck: 'hasDotdot', expect: ruleIds.objectFormat, make: (g, c) => root(g, c, (e) => [['40000', '..', byName(e, 'communications')[2]], ...e]) },
  { name: 'an entry whose name holds a slash', fsck: 'fullPathname', expect: ruleIds.objectFormat, make: (g, c) => thread(g, c, (e) => [...e, ['100644', 'x/y', byName(e, 'ledger.yaml')[2]]]) },
  { name: 'an entry pointing at the null id', fsck: 'nullSha1', expect: ruleIds.objectFormat, unpushable: true, make: (g, c) => thread(g, c, (e) => [...e, ['100644', 'notes.md', '0'.repeat(40)]]) },
  { name: 'a file mode git does not write (100664)', fsck: null, expect: ruleIds.objectFormat, make: (g, c) => thread(g, c, (e) => e.map((x): RawEntry => (x[1] === 'messages.md' ? ['100664', x[1], x[2]] : x))) },
  { name: 'a commit with two author lines', fsck: 'multipleAuthors', expect: ruleIds.objectFormat, make: commit((t) => t.replace(/^(author .*\n)/m, '$1author Someone Else <else@ccr.invalid> 1768208405 +0000\n')) },
  { name: 'a commit with a zero-padded date', fsck: 'zeroPaddedDate', expect: ruleIds.objectFormat, make: commit((t) => t.replace(/^(author .*> )(\d+)/m, (_, head: string, date: string) => `${head}0${date}`)) },
  { name: 'a commit with a NUL byte hiding text in its message', fsck: 'nulInCommit', expect: ruleIds.objectFormat, make: commit((t) => `${t}\0Care-Location: Elsewhere\n`) },
  { name: 'a commit with a second committer line', fsck: null, expect: ruleIds.objectFormat, make: commit((t) => t.replace(/^(committer .*\n)/m, '$1committer Someone Else <else@ccr.invalid> 1768208405 +0000\n')) },
  { name: 'a commit with a second tree header after the committer', fsck: null, expect: ruleIds.objectFormat, make: commit((t) => t.replace(/^(committer .*\n)/m, `$1${/^tree .*\n/m.exec(t)![0]}`)) },
  { name: 'a commit that declares another encoding', fsck: null, expect: ruleIds.objectFormat, make: commit((t) => t.replace(/^(committer .*\n)/m, '$1encoding ISO-8859-1\n')) },
];
