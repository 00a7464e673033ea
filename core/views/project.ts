// The projection of `main` for a reader (SPEC 12), commit by commit. The projected tree of a
// commit c holds c's root files and, of c's thread folders: those the reader sees at c as they are
// in c; those it saw in c's parent (the commit that removed it) as they are in c; any other as it
// is in the view of c's parent (first parent that has it), i.e. frozen at the reader's last
// removal, or absent if it never took part. The view commit of c is c itself when nothing is
// hidden, its parent's view when nothing visible changed, else a new commit with c's author,
// committer and message. Only folders whose id changed are looked at; their ledgers are read once
// per folder id. Pure: objects come from a source, earlier views from a graph.

import { LEDGER_MAX_BYTES, readLedger } from '../ledger.js';
import {
  formatCommit,
  formatTree,
  hashObject,
  parseCommit,
  parseTree,
  type Commit,
  type Oid,
  type TreeEntry,
} from '../objects.js';
import { ByteLru } from '../byteLru.js';
import { COMMUNICATIONS, LEDGER_FILE } from '../layout.js';
import { MissingObject, putObject, type NewObjects, type ObjectSource, type StoredObject } from '../source.js';
import type { ViewReader } from './reader.js';

/**
 * The header of a `main` commit translated from a commit signed in a view: the reader's key on
 * its first line, then the view commit's signature. That reader's view of the commit carries the
 * signature again as `gpgsig`, so the signed view commit can be rebuilt, and checked, from `main`.
 */
export const VIEW_SIGNATURE_HEADER = 'ccr-view-signature';

/** What the builder knows of views computed before it: the stored map, and ancestry in the view. */
export interface ViewGraph {
  /** The view of an earlier `main` commit; undefined when it is not known. */
  viewOf(main: Oid): Promise<Oid | undefined>;
  /** True when view commit `a` is an ancestor of view commit `b` (or is `b`). */
  isAncestor(a: Oid, b: Oid): Promise<boolean>;
}

/** Raised when a parent's view is not known: the views of a commit's parents come first. */
export class MissingView extends Error {
  override name = 'MissingView';
  constructor(readonly main: Oid) {
    super(`the view of ${main} is not known`);
  }
}

const FOLDER = '40000';

/**
 * Estimated bytes of a memo entry besides its value (a 40-character key and the map's slots), and
 * of a tree entry held in a folder map (its object, name and id): as core/evaluate/cache.ts counts.
 */
const ENTRY_BYTES = 160;
const TREE_ENTRY_BYTES = 120;

/**
 * The builder's memos, in bytes (docs/benchmarks.md "Cache bounds"): parsed commits (a parsed
 * commit holds its text as UTF-16 strings: twice its size), the thread folders of root trees (a
 * record with many threads makes each large) and whether the reader sees a folder.
 */
const COMMIT_MEMO_BYTES = 4 * 1024 * 1024;
const FOLDER_MEMO_BYTES = 8 * 1024 * 1024;
const SHOWN_MEMO_BYTES = 8 * 1024 * 1024;

/** Ancestry by walking parents through a source: enough for small histories and the tests. */
export function ancestryBySource(source: ObjectSource): ViewGraph['isAncestor'] {
  return async (a, b) => {
    const seen = new Set<Oid>();
    for (let frontier: Oid[] = [b]; frontier.length > 0;) {
      const next: Oid[] = [];
      for (const oid of frontier) {
        if (oid === a) return true;
        if (seen.has(oid)) continue;
        seen.add(oid);
        const o = await source.read(oid);
        if (!o) throw new MissingObject(oid);
        next.push(...(parseCommit(o.content)?.parents ?? []));
      }
      frontier = next;
    }
    return false;
  };
}

/**
 * Builds the views of `main` commits for one reader, parents before children. The objects of new
 * view commits are kept in `objects` until the caller stores them (`take`).
 */
export class ViewBuilder {
  /** The views this builder computed, by `main` commit. */
  readonly views = new Map<Oid, Oid>();
  #objects: NewObjects = new Map();
  readonly #commits = new ByteLru<Commit>(COMMIT_MEMO_BYTES);
  readonly #folders = new ByteLru<Map<string, TreeEntry>>(FOLDER_MEMO_BYTES);
  readonly #shown = new ByteLru<boolean>(SHOWN_MEMO_BYTES);
  readonly #source: ObjectSource;

  constructor(
    readonly reader: ViewReader,
    source: ObjectSource,
    readonly graph: ViewGraph,
  ) {
    this.#source = { read: (oid: Oid, limit?: number) => this.#read(source, oid, limit) } as ObjectSource;
  }

  /** Estimated bytes of the memos: parsed commits, thread folders, what the reader sees. */
  get memoBytes(): { commits: number; folders: number; shown: number } {
    return { commits: this.#commits.bytes, folders: this.#folders.bytes, shown: this.#shown.bytes };
  }

  /** Give the new objects made so far (to be stored) and start a new set. */
  take(): NewObjects {
    const out = this.#objects;
    this.#objects = new Map();
    return out;
  }

  async #read(base: ObjectSource, oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    const own = this.#objects.get(oid);
    if (own) {
      const content = limit !== undefined && own.content.length > limit ? null : own.content;
      return { type: own.type, size: own.content.length, content };
    }
    return limit === undefined ? base.read(oid) : base.read(oid, limit);
  }

  async #commit(oid: Oid): Promise<Commit> {
    const known = this.#commits.get(oid);
    if (known) return known;
    const o = await this.#source.read(oid);
    if (!o) throw new MissingObject(oid);
    const commit = o.type === 'commit' ? parseCommit(o.content) : null;
    if (!commit) throw new Error(`${oid} is not a well-formed commit`);
    this.#commits.set(oid, commit, ENTRY_BYTES + 2 * o.content.length);
    return commit;
  }

  async #tree(oid: Oid): Promise<TreeEntry[]> {
    const o = await this.#source.read(oid);
    if (!o) throw new MissingObject(oid);
    return (o.type === 'tree' ? parseTree(o.content) : null) ?? [];
  }

  /** The thread folders of a root tree, by name (none when `communications` is not a folder). */
  async #threads(root: Oid): Promise<Map<string, TreeEntry>> {
    const known = this.#folders.get(root);
    if (known) return known;
    const comms = (await this.#tree(root)).find((e) => e.name === COMMUNICATIONS);
    const entries = comms?.mode === FOLDER ? await this.#tree(comms.oid) : [];
    const threads = new Map(entries.map((e) => [e.name, e]));
    let bytes = ENTRY_BYTES;
    for (const e of entries) bytes += TREE_ENTRY_BYTES + 2 * e.name.length;
    this.#folders.set(root, threads, bytes);
    return threads;
  }

  /** True when the reader sees the thread of this folder (its ledger); an unreadable one is not seen. */
  async #sees(folder: TreeEntry): Promise<boolean> {
    if (folder.mode !== FOLDER) return false;
    const known = this.#shown.get(folder.oid);
    if (known !== undefined) return known;
    const ledger = (await this.#tree(folder.oid)).find((e) => e.name === LEDGER_FILE);
    const blob = ledger ? await this.#source.read(ledger.oid, LEDGER_MAX_BYTES) : null;
    const read = blob?.type === 'blob' && blob.content ? readLedger(blob.content) : null;
    const sees = read?.ok === true && this.reader.sees(read.value);
    this.#shown.set(folder.oid, sees, ENTRY_BYTES);
    return sees;
  }

  /** The thread folders of the projected tree of `c`, whose parents have the views `parentViews`. */
  async #projectThreads(c: Commit, parentViews: Oid[]): Promise<TreeEntry[]> {
    const threads = await this.#threads(c.tree);
    const parents = await Promise.all(c.parents.map(async (q) => this.#threads((await this.#commit(q)).tree)));
    const views = await Promise.all(parentViews.map(async (v) => this.#threads((await this.#commit(v)).tree)));
    const only = parents.length === 1 ? parents[0] : undefined;
    const out: TreeEntry[] = [];
    for (const [name, folder] of threads) {
      const before = only?.get(name);
      let shown: TreeEntry | undefined;
      if (before && before.oid === folder.oid && before.mode === folder.mode) {
        // Unchanged since the one parent: so is whether the reader sees it.
        shown = views[0]!.get(name);
      } else if (await this.#sees(folder)) {
        shown = folder;
      } else if (before && (await this.#sees(before))) {
        shown = folder; // the commit that removed the reader: kept up to and including it
      } else {
        shown = views.map((v) => v.get(name)).find((e) => e !== undefined);
      }
      if (shown) out.push(shown);
    }
    return out;
  }

  /** Parents that are not ancestors of another parent, distinct, in order. */
  async #independent(views: Oid[]): Promise<Oid[]> {
    const distinct = [...new Set(views)];
    if (distinct.length < 2) return distinct;
    const out: Oid[] = [];
    for (const v of distinct) {
      let covered = false;
      for (const w of distinct) if (w !== v && (await this.graph.isAncestor(v, w))) covered = true;
      if (!covered) out.push(v);
    }
    return out;
  }

  /** The view of a parent: computed here, or known to the graph. */
  async #viewOf(q: Oid): Promise<Oid> {
    const v = this.views.get(q) ?? (await this.graph.viewOf(q));
    if (!v) throw new MissingView(q);
    return v;
  }

  /** The view commit of `main` commit `c`; the views of its parents must be known. */
  async add(c: Oid): Promise<Oid> {
    const known = this.views.get(c);
    if (known) return known;
    const commit = await this.#commit(c);
    const parentViews = await Promise.all(commit.parents.map((q) => this.#viewOf(q)));
    const threads = await this.#projectThreads(commit, parentViews);
    const root = (await this.#tree(commit.tree)).filter((e) => e.name !== COMMUNICATIONS);
    const comms = threads.length > 0 ? formatTree(threads) : null;
    const commsOid = comms ? hashObject('tree', comms) : null;
    if (commsOid) root.push({ mode: FOLDER, name: COMMUNICATIONS, oid: commsOid });
    const rootBytes = formatTree(root);
    const tree = hashObject('tree', rootBytes);
    let view: Oid;
    if (tree === commit.tree && parentViews.every((v, i) => v === commit.parents[i])) {
      view = c; // nothing hidden, here or before: the commit is its own view
    } else {
      const parents = await this.#independent(parentViews);
      const only = parents.length === 1 ? await this.#commit(parents[0]!) : null;
      if (only && only.tree === tree) {
        view = parents[0]!; // nothing visible changed
      } else {
        if (comms) putObject(this.#objects, 'tree', comms);
        putObject(this.#objects, 'tree', rootBytes);
        const content = formatCommit({
          tree,
          parents,
          author: commit.author,
          committer: commit.committer,
          extra: this.#signature(commit),
          message: commit.message,
        });
        view = putObject(this.#objects, 'commit', content);
      }
    }
    this.views.set(c, view);
    return view;
  }

  /** The view's signature header: a signature made in this reader's view, carried by the translated commit. */
  #signature(c: Commit): Array<[string, string]> {
    const value = c.extra.find(([name]) => name === VIEW_SIGNATURE_HEADER)?.[1];
    const nl = value?.indexOf('\n') ?? -1;
    if (value === undefined || nl === -1 || value.slice(0, nl) !== this.reader.key) return [];
    return [['gpgsig', value.slice(nl + 1)]];
  }
}
