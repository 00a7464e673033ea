// Reads for one evaluation through the object source given as a parameter (the server's
// quarantine reader, the offline verifier's, the library's overlay), with the cache. A missing
// object throws (the store failed); an object of the wrong type or size is a problem, as data.

import type { Finding } from '../findings.js';
import { LEDGER_MAX_BYTES, readLedger, type Ledger } from '../ledger.js';
import { EMPTY_TREE, readTreeObject, type Commit, type ObjectType, type Oid, type TreeEntry } from '../objects.js';
import { MissingObject, readCommit, readCommitChecked, type ObjectSource } from '../source.js';
import { STATUS_FILE } from '../layout.js';
import { STATUS_MAX_BYTES, readStatus, type CoordinationStatus } from '../status.js';
import { problem, type ReaderProblem } from '../problems.js';
import type { DeletedInput, FolderInput, RewriteInput, UnjudgedInput } from '../rules/define.js';
import type { EvaluationCache } from './cache.js';

/**
 * What reading one commit gave besides its changes, in the order it was read: problems of the
 * objects read (as findings), problems of the formats read (as data, for their rules), and the
 * folders and deletions the tree rules judge.
 */
export type ReadItem =
  | { finding: Finding }
  | { problem: ReaderProblem }
  | { folder: FolderInput }
  | { deleted: DeletedInput }
  | { rewritten: RewriteInput }
  | { unjudged: UnjudgedInput };

/** Reads for one evaluation, collecting findings about unreadable or oversized objects. */
export class Reader {
  readonly items: ReadItem[] = [];

  /** Note problems found in what was read. */
  problems(...found: Finding[]): void {
    for (const finding of found) this.items.push({ finding });
  }

  /** Note problems a reader found (an object's or a format's), for the rules of reader problems. */
  formatProblems(...found: readonly ReaderProblem[]): void {
    for (const p of found) this.items.push({ problem: p });
  }
  constructor(
    readonly source: ObjectSource,
    readonly cache: EvaluationCache,
  ) {}

  async object(oid: Oid, type: ObjectType, path: string): Promise<Uint8Array | null> {
    const o = await this.source.read(oid);
    if (!o) throw new MissingObject(oid);
    if (o.type !== type) {
      this.formatProblems(
        problem(type === 'tree' ? 'tree' : 'blob', 'wrong-type', `expected a ${type}, found a ${o.type}`, { path }),
      );
      return null;
    }
    return o.content;
  }

  async tree(oid: Oid | undefined, path: string): Promise<TreeEntry[]> {
    if (!oid || oid === EMPTY_TREE) return [];
    const known = this.cache.trees.get(oid);
    if (known) return known;
    const content = await this.object(oid, 'tree', path);
    if (!content) return [];
    // A malformed tree (duplicate names, git's order broken) is refused, never read one way here
    // and another by a checkout; its entries as read still go to the layout rules.
    const { entries, problem: malformed } = readTreeObject(content);
    if (malformed)
      this.formatProblems(
        problem('tree', 'malformed', `${malformed} (tree ${oid.slice(0, 12)})`, path ? { path } : {}),
      );
    else this.cache.put(this.cache.trees, oid, entries);
    return entries;
  }

  async commit(oid: Oid): Promise<Commit | null> {
    if (this.cache.commits.has(oid)) return this.cache.commits.get(oid)!;
    const commit = await readCommit(this.source, oid);
    this.cache.put(this.cache.commits, oid, commit);
    return commit;
  }

  /** Why a commit that `commit()` gave as null is not one. */
  async commitProblem(oid: Oid): Promise<string> {
    const read = await readCommitChecked(this.source, oid);
    return read.ok ? 'expected a well-formed commit object' : read.problem;
  }

  /** A blob, refused unread when larger than `cap`. */
  async blob(oid: Oid, cap: number, path: string): Promise<Uint8Array | null> {
    const o = await this.source.read(oid, cap);
    if (!o) throw new MissingObject(oid);
    if (o.type !== 'blob') {
      this.formatProblems(problem('blob', 'wrong-type', `expected a file, found a ${o.type}`, { path }));
      return null;
    }
    if (o.content === null) {
      this.formatProblems(problem('blob', 'too-large', `expected at most ${cap} bytes, found ${o.size}`, { path }));
      return null;
    }
    return o.content;
  }

  /** A ledger known to be valid (from the parent), through the cache. */
  async trustedLedger(oid: Oid | undefined, path: string): Promise<Ledger | undefined> {
    if (!oid) return undefined;
    const hit = this.cache.ledgers.get(oid);
    if (hit) return hit;
    const bytes = await this.blob(oid, LEDGER_MAX_BYTES, path);
    const read = bytes ? readLedger(bytes, path) : null;
    if (read?.ok) this.cache.put(this.cache.ledgers, oid, read.value);
    return read?.ok ? read.value : undefined;
  }

  async trustedStatus(oid: Oid | undefined): Promise<CoordinationStatus | undefined> {
    if (!oid) return undefined;
    const hit = this.cache.statuses.get(oid);
    if (hit) return hit;
    const bytes = await this.blob(oid, STATUS_MAX_BYTES, STATUS_FILE);
    const read = bytes ? readStatus(bytes) : null;
    if (read?.ok) this.cache.put(this.cache.statuses, oid, read.value);
    return read?.ok ? read.value : undefined;
  }
}
