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

/** The id of the empty tree, which git knows without storing it. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904' as Oid;

/** The object id git gives content of a type: SHA-1 of `<type> <size>\0<content>`. */
export function hashObject(type: ObjectType, content: Uint8Array): Oid {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex') as Oid;
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

const IDENT = /^(.*) <([^<>\n]*)> (\d{1,15}) ([+-]\d{4})$/;

/** Parse `Name <email> 1700000000 +0000`; null when it does not have that shape. */
export function parseIdent(line: string): Ident | null {
  const m = IDENT.exec(line);
  return m ? { name: m[1]!, email: m[2]!, timestamp: Number(m[3]), timezone: m[4]! } : null;
}

/** Write a person line. */
export function formatIdent(i: Ident): string {
  return `${i.name} <${i.email}> ${i.timestamp} ${i.timezone}`;
}

/** Parse a commit object's content; null when it is not a well-formed commit. */
export function parseCommit(content: Uint8Array): Commit | null {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  const split = text.indexOf('\n\n');
  const head = split === -1 ? text : text.slice(0, split);
  const message = split === -1 ? '' : text.slice(split + 2);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\n')) {
    if (line.startsWith(' ') && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] += '\n' + line.slice(1); // continuation of a multi-line header (gpgsig)
      continue;
    }
    const sp = line.indexOf(' ');
    if (sp <= 0) return null;
    headers.push([line.slice(0, sp), line.slice(sp + 1)]);
  }
  const tree = headers[0]?.[0] === 'tree' ? headers[0][1] : undefined;
  if (!isOid(tree)) return null;
  let i = 1;
  const parents: Oid[] = [];
  for (; headers[i]?.[0] === 'parent'; i++) {
    const p = headers[i]![1];
    if (!isOid(p)) return null;
    parents.push(p);
  }
  const author = headers[i]?.[0] === 'author' ? parseIdent(headers[i]![1]) : null;
  const committer = headers[i + 1]?.[0] === 'committer' ? parseIdent(headers[i + 1]![1]) : null;
  if (!author || !committer) return null;
  return { tree, parents, author, committer, extra: headers.slice(i + 2), message };
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

/** True for an entry that is a folder. */
export function isTreeEntry(e: TreeEntry): boolean {
  return e.mode === '40000';
}

/** Parse a tree object's content; null when malformed. */
export function parseTree(content: Uint8Array): TreeEntry[] | null {
  const entries: TreeEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let i = 0;
  while (i < content.length) {
    const sp = content.indexOf(0x20, i);
    const nul = content.indexOf(0x00, sp + 1);
    if (sp === -1 || nul === -1 || nul + 21 > content.length) return null;
    const mode = decoder.decode(content.subarray(i, sp));
    const name = decoder.decode(content.subarray(sp + 1, nul));
    const oid = Buffer.from(content.subarray(nul + 1, nul + 21)).toString('hex') as Oid;
    entries.push({ mode, name, oid });
    i = nul + 21;
  }
  return entries;
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
