// Where objects come from: the interface every reader implements (the library's isomorphic-git
// store, the push quarantine, cat-file for audited repositories, memory in tests).

import { hashObject, parseCommit, parseTree, readCommitObject } from './objects.js';
import type { Commit, ObjectRead, ObjectType, Oid, TreeEntry } from './objects.js';

/** An object as read: its type, its size, and its content (null when it was over the limit). */
export interface StoredObject<C = Uint8Array> {
  type: ObjectType;
  size: number;
  content: C;
}

/**
 * Where the evaluator reads objects from. Missing objects are null; I/O failures throw. With a
 * `limit`, an object larger than it comes back without content, unread.
 */
export interface ObjectSource {
  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
}

/** Raised inside the evaluator when the store lacks an object a commit refers to. */
export class MissingObject extends Error {
  constructor(readonly oid: string) {
    super(`object ${oid} is missing`);
  }
}

/** Read a commit object; null when it is not a well-formed commit. */
export async function readCommit(source: ObjectSource, oid: Oid): Promise<Commit | null> {
  const o = await source.read(oid);
  if (!o) throw new MissingObject(oid);
  return o.type === 'commit' ? parseCommit(o.content) : null;
}

/** Read a commit object, or say what is wrong with it (see readCommitObject). */
export async function readCommitChecked(source: ObjectSource, oid: Oid): Promise<ObjectRead<Commit>> {
  const o = await source.read(oid);
  if (!o) throw new MissingObject(oid);
  return o.type === 'commit'
    ? readCommitObject(o.content)
    : { ok: false, problem: `expected a commit object, found a ${o.type}` };
}

/** The entries of a tree (none for no tree); MissingObject when the store lacks it. */
export async function readTree(source: ObjectSource, oid: Oid | undefined): Promise<TreeEntry[]> {
  if (!oid) return [];
  const o = await source.read(oid);
  if (!o) throw new MissingObject(oid);
  return parseTree(o.content) ?? [];
}

/**
 * A source that answers "missing" for objects known to be absent without asking the store: the
 * offline verifier's view of a partial clone, whose git would otherwise fetch them.
 */
export class WithoutObjects implements ObjectSource {
  constructor(
    readonly base: ObjectSource,
    readonly absent: ReadonlySet<Oid>,
  ) {}

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    if (this.absent.has(oid)) return null;
    return limit === undefined ? this.base.read(oid) : this.base.read(oid, limit);
  }
}

/** Objects made in memory before they are judged and stored, by id. */
export type NewObjects = Map<Oid, { type: ObjectType; content: Uint8Array }>;

/** Add an object made in memory; gives its id. */
export function putObject(objects: NewObjects, type: ObjectType, content: Uint8Array): Oid {
  const oid = hashObject(type, content);
  objects.set(oid, { type, content });
  return oid;
}
