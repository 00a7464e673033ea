// Git object formats, parsed and written as pure functions: commits, trees, object ids.
// The store that reads and writes them lives in git/; here are only bytes.

import { createHash } from 'node:crypto';
import type { Brand } from './ids.js';

/** A git object id: 40 lowercase hex characters (SHA-1). */
export type Oid = Brand<string, 'Oid'>;
/** The kinds of git objects. */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

const OID = /^[0-9a-f]{40}$/;
/** True for a full SHA-1 object id. */
export function isOid(value: unknown): value is Oid {
  return typeof value === 'string' && OID.test(value);
}

/** The value as an object id when it is a full SHA-1 in lowercase hex, else null. */
export function parseOid(value: unknown): Oid | null {
  return isOid(value) ? value : null;
}

/**
 * An object id the program itself computed (a digest, 20 bytes of a tree entry in hex): always
 * 40 lowercase hex characters, so a failed check is a bug, thrown rather than returned.
 */
export function oidOf(hex: string): Oid {
  if (!isOid(hex)) throw new TypeError(`expected a 40-character hex object id, found ${JSON.stringify(hex)}`);
  return hex;
}

/** The id of the empty tree, which git knows without storing it. */
export const EMPTY_TREE: Oid = oidOf('4b825dc642cb6eb9a060e54bf8d69288fbee4904');

/** The object id git gives content of a type: SHA-1 of `<type> <size>\0<content>`. */
export function hashObject(type: ObjectType, content: Uint8Array): Oid {
  return oidOf(createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex'));
}

/** A person line of a commit: name, email, seconds since the epoch, timezone `+hhmm`. */
export interface Ident {
  name: string;
  email: string;
  timestamp: number;
  timezone: string;
}

/** A parsed commit object. */
export interface Commit {
  tree: Oid;
  parents: Oid[];
  author: Ident;
  committer: Ident;
  /** Headers other than tree/parent/author/committer (gpgsig, encoding, …), in order. */
  extra: Array<[string, string]>;
  message: string;
}

// A person line as git fsck accepts it: no `<`, `>` or newline in the name, a date without
// leading zeros, a `+hhmm` zone.
const IDENT = /^([^<>\n]*) <([^<>\n]*)> (0|[1-9]\d{0,14}) ([+-]\d{4})$/;

/** Parse `Name <email> 1700000000 +0000`; null when it does not have that shape. */
export function parseIdent(line: string): Ident | null {
  const m = IDENT.exec(line);
  return m ? { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezone: m[4]! } : null;
}

/** Write a person line. */
export function formatIdent(i: Ident): string {
  return `${i.name} <${i.email}> ${i.timestamp} ${i.timezone}`;
}

/** A parsed object, or what is wrong with it in words ("expected …, found …"). */
export type ObjectRead<T> = { ok: true; value: T } | { ok: false; problem: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Headers whose place is fixed at the top of a commit; anywhere else they would be read two ways. */
const CORE_HEADERS = new Set(['tree', 'parent', 'author', 'committer']);

/**
 * Read a commit object as strictly as git fsck, and stricter where a second reading could differ
 * from the one judged: no NUL byte (git shows a message only up to it), UTF-8 throughout (no other
 * `encoding`), `tree`, `parent`, `author` and `committer` once each in their place, and every
 * other header at most once.
 */
export function readCommitObject(content: Uint8Array): ObjectRead<Commit> {
  const bad = (problem: string): ObjectRead<Commit> => ({ ok: false, problem });
  const nul = content.indexOf(0);
  if (nul !== -1) return bad(`expected no NUL byte in a commit object, found one at byte ${nul}`);
  let text: string;
  try {
    text = strictUtf8.decode(content);
  } catch {
    return bad('expected a commit object in UTF-8, found invalid byte sequences');
  }
  const split = text.indexOf('\n\n');
  if (split === -1 && !text.endsWith('\n'))
    return bad('expected the commit headers to end with a newline, found an unterminated header');
  const head = split === -1 ? text.slice(0, -1) : text.slice(0, split);
  const message = split === -1 ? '' : text.slice(split + 2);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\n')) {
    const last = headers[headers.length - 1];
    if (line.startsWith(' ') && last) {
      if (CORE_HEADERS.has(last[0])) {
        return bad(
          `expected continuation lines only after a multi-line header such as gpgsig, found one after \`${last[0]}\``,
        );
      }
      last[1] += '\n' + line.slice(1);
      continue;
    }
    const sp = line.indexOf(' ');
    if (sp <= 0)
      return bad(`expected commit header lines \`<name> <value>\`, found ${JSON.stringify(line.slice(0, 40))}`);
    headers.push([line.slice(0, sp), line.slice(sp + 1)]);
  }
  let i = 0;
  const next = (name: string) => (headers[i]?.[0] === name ? headers[i++]![1] : undefined);
  const tree = next('tree');
  if (tree === undefined)
    return bad(`expected a \`tree\` header first, found ${headers[0] ? `\`${headers[0][0]}\`` : 'none'}`);
  if (!isOid(tree)) return bad(`expected a tree id in the \`tree\` header, found ${JSON.stringify(tree.slice(0, 50))}`);
  const parents: Oid[] = [];
  for (let p = next('parent'); p !== undefined; p = next('parent')) {
    if (!isOid(p))
      return bad(`expected a commit id in each \`parent\` header, found ${JSON.stringify(p.slice(0, 50))}`);
    parents.push(p);
  }
  const idents: Ident[] = [];
  for (const name of ['author', 'committer']) {
    const line = next(name);
    const found = headers[i] ? `\`${headers[i]![0]}\`` : 'none';
    if (line === undefined) return bad(`expected one \`${name}\` header after the tree and parents, found ${found}`);
    const ident = parseIdent(line);
    const shape = `\`${name} Name <email> seconds +hhmm\` (git's form, no leading zeros)`;
    if (!ident) return bad(`expected ${shape}, found ${JSON.stringify(line.slice(0, 80))}`);
    idents.push(ident);
  }
  const extra = headers.slice(i);
  const names = new Set<string>();
  for (const [name, value] of extra) {
    if (CORE_HEADERS.has(name) || names.has(name)) {
      return bad(`expected each commit header once and in git's order, found another \`${name}\` header`);
    }
    names.add(name);
    if (name === 'encoding' && !/^utf-?8$/i.test(value))
      return bad(`expected a commit in UTF-8, found \`encoding ${value.slice(0, 40)}\``);
  }
  return { ok: true, value: { tree, parents, author: idents[0]!, committer: idents[1]!, extra, message } };
}

/** Parse a commit object's content; null when it is not a well-formed commit (see readCommitObject). */
export function parseCommit(content: Uint8Array): Commit | null {
  const read = readCommitObject(content);
  return read.ok ? read.value : null;
}

/** The content of a commit object (extra headers are written as given). */
export function formatCommit(c: Omit<Commit, 'extra'> & { extra?: Array<[string, string]> }): Uint8Array {
  let s = `tree ${c.tree}\n`;
  for (const p of c.parents) s += `parent ${p}\n`;
  s += `author ${formatIdent(c.author)}\ncommitter ${formatIdent(c.committer)}\n`;
  for (const [k, v] of c.extra ?? []) s += `${k} ${v.replaceAll('\n', '\n ')}\n`;
  return new TextEncoder().encode(`${s}\n${c.message}`);
}

/** One entry of a tree. `mode` as git writes it: 100644, 100755, 120000, 160000, 40000. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: Oid;
}

/** The modes git writes: file, executable, symbolic link, folder, submodule. */
export const modes = {
  file: '100644',
  executable: '100755',
  symlink: '120000',
  folder: '40000',
  submodule: '160000',
} as const;
const MODES = new Set<string>(Object.values(modes));

/** True for an entry that is a folder. */
export function isTreeEntry(e: TreeEntry): boolean {
  return e.mode === modes.folder;
}
const NULL_OID = '0'.repeat(40);

/** What git fsck says of one entry's name, or null when the name is fine. */
function nameProblem(name: string): string | null {
  if (name === '') return 'an empty name';
  if (name === '.' || name === '..') return `the name \`${name}\``;
  if (name.includes('/')) return `a name with \`/\` (\`${name}\`)`;
  // `.git` in any case, and the spellings NTFS and HFS+ read as it (trailing dots or spaces, `git~1`).
  const hfs = name.replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, '').toLowerCase();
  if (/^\.git[. ]*$/i.test(name) || /^git~1$/i.test(name) || hfs === '.git') return `the name \`${name}\``;
  return null;
}

/**
 * Read a tree object as strictly as git fsck: entries `<mode> <name>\0<20-byte id>` with an octal
 * mode without leading zeros, a name that is not empty, `.`, `..` or `.git` and holds no `/`, a
 * non-null id, each name once, in git's order. Gives the entries read (all of them unless the
 * object cannot be parsed) and the first problem found, if any.
 */
export function readTreeObject(content: Uint8Array): { entries: TreeEntry[]; problem: string | null } {
  const entries: TreeEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const names = new Set<string>();
  let problem: string | null = null;
  let previous: Buffer | null = null;
  let i = 0;
  while (i < content.length) {
    const sp = content.indexOf(0x20, i);
    const nul = sp === -1 ? -1 : content.indexOf(0x00, sp + 1);
    if (sp === -1 || nul === -1 || nul + 21 > content.length) {
      return {
        entries,
        problem: `expected tree entries \`<mode> <name>\\0<id>\`, found a truncated entry at byte ${i}`,
      };
    }
    const mode = Buffer.from(content.subarray(i, sp)).toString('latin1');
    const rawName = Buffer.from(content.subarray(sp + 1, nul));
    const name = decoder.decode(rawName);
    const oid = oidOf(Buffer.from(content.subarray(nul + 1, nul + 21)).toString('hex'));
    if (!/^[0-7]+$/.test(mode)) {
      return {
        entries,
        problem: `expected an octal mode in every tree entry, found ${JSON.stringify(mode.slice(0, 20))} at byte ${i}`,
      };
    }
    const entry = { mode, name, oid };
    entries.push(entry);
    i = nul + 21;
    if (problem) continue;
    // Byte order as git compares names, a folder as if its name ended in `/`.
    const key = isTreeEntry(entry) ? Buffer.concat([rawName, Buffer.from('/')]) : rawName;
    const nameKey = rawName.toString('latin1');
    const odd = nameProblem(name);
    if (odd) problem = `expected entry names git accepts, found ${odd}`;
    else if (mode.startsWith('0')) problem = `expected modes without leading zeros, found ${mode} for \`${name}\``;
    else if (!MODES.has(mode))
      problem = `expected one of the modes git writes (${[...MODES].join(', ')}), found ${mode} for \`${name}\``;
    else if (oid === NULL_OID) problem = `expected an object id for \`${name}\`, found the null id`;
    else if (names.has(nameKey)) problem = `expected each name once in a tree, found \`${name}\` twice`;
    else if (previous && Buffer.compare(previous, key) >= 0) {
      problem = `expected tree entries in git's order, found \`${name}\` after an entry that sorts later`;
    }
    names.add(nameKey);
    previous = key;
  }
  return { entries, problem };
}

/** Parse a tree object's content; null when it is malformed (see readTreeObject). */
export function parseTree(content: Uint8Array): TreeEntry[] | null {
  const read = readTreeObject(content);
  return read.problem ? null : read.entries;
}

/** Git's order of tree entries: by name, a folder compared as if its name ended in `/`. */
function treeKey(e: TreeEntry): string {
  return isTreeEntry(e) ? e.name + '/' : e.name;
}

/** The content of a tree object holding these entries (sorted as git sorts them). */
export function formatTree(entries: readonly TreeEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => {
    const ka = Buffer.from(treeKey(a));
    const kb = Buffer.from(treeKey(b));
    return Buffer.compare(ka, kb);
  });
  const parts: Buffer[] = [];
  for (const e of sorted) parts.push(Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex'));
  return Buffer.concat(parts);
}
