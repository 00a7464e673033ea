// A push from a view, translated onto `main` (SPEC 12). For each pushed commit C_i (on C_{i-1},
// C_0 the view tip the push is based on, which must be the view of the current `main` M_0), M_i is
// M_{i-1}'s tree with C_i's changes applied, on M_{i-1}, with C_i's author, committer and message.
// Only what the reader may change is applied: its own threads (while it takes part), new threads
// under ids not used in the record, and the root files; anything else cannot be translated and is
// refused here, before any rule reads `main`'s hidden parts. The translation stands only if the
// view of M_n is exactly C_n: then the pusher's branch and the server agree with no surprise.

import { mergeRefused } from '../evaluate.js';
import type { Finding } from '../findings.js';
import { runScope } from '../evaluate/runRules.js';
import type { ViewExactInput, ViewPathInput, WalkInput } from '../rules/define.js';
import { viewRules, walkRules } from '../rules/index.js';
import type { Principal } from '../principal.js';
import { LEDGER_MAX_BYTES, readLedger } from '../ledger.js';
import {
  formatCommit,
  formatTree,
  modes,
  parseCommit,
  parseTree,
  type Commit,
  type Oid,
  type TreeEntry,
} from '../objects.js';
import { COMMUNICATIONS, LEDGER_FILE } from '../layout.js';
import { MissingObject, putObject, type NewObjects, type ObjectSource, type StoredObject } from '../source.js';
import { ViewBuilder, VIEW_SIGNATURE_HEADER, ancestryBySource } from './project.js';
import type { ViewReader } from './reader.js';

/** What a translation starts from. */
export interface TranslateInput {
  /** Objects of `main`, of the view, and of the push. */
  source: ObjectSource;
  reader: ViewReader;
  /** The current `main`, and its view. */
  main: Oid;
  view: Oid;
  /** The view tip the push is based on (the ref's old value), and the pushed tip. */
  old: Oid;
  tip: Oid;
  /** Most commits one push may bring (as the ref rule: 10,000). */
  maxCommits?: number;
  /** Who pushes: a merge is refused in the words the rules use for a push to `main`. */
  principal?: Principal;
}

/** One pushed view commit and the `main` commit it became. */
export interface TranslatedCommit {
  view: Oid;
  main: Oid;
}

/** A translation: refused when `findings` holds any; otherwise `main` moves to the last commit's `main`. */
export interface Translation {
  findings: Finding[];
  /** Oldest first; may be incomplete when refused. */
  commits: TranslatedCommit[];
  /** New objects of `main`: commits and the trees above the thread folders. */
  objects: NewObjects;
  /** Objects of the push (thread folders, files, commits kept whole) that `main` now refers to. */
  copy: Oid[];
  /**
   * True when every pushed commit was translated (the findings, if any, say only that the result
   * is not exact): the rules can judge the commits, and their findings are the pusher's first news.
   */
  built: boolean;
}

const FOLDER = '40000';

/** The one finding of a refused case: the rules of each scope report every case the translation refuses. */
function first(found: Finding[], what: object): Finding {
  if (!found[0]) throw new Error(`no rule reports ${JSON.stringify(what)}`);
  return found[0];
}

/** The finding of how the walk over a view push ended. */
const walkFinding = (w: WalkInput) => first(runScope(walkRules, 'walk', w, {}), w);
/** The finding of a view push changing a thread it may not. */
const pathFinding = (v: ViewPathInput) => first(runScope(viewRules, 'view-path', v, {}), v);
/** The finding of a view commit that is not the view of its translation. */
const exactFinding = (v: ViewExactInput) => first(runScope(viewRules, 'view-exact', v, {}), v);

class Reader {
  constructor(readonly source: ObjectSource) {}

  async object(oid: Oid): Promise<StoredObject> {
    const o = await this.source.read(oid);
    if (!o) throw new MissingObject(oid);
    return o;
  }

  async commit(oid: Oid): Promise<Commit | null> {
    const o = await this.object(oid);
    return o.type === 'commit' ? parseCommit(o.content) : null;
  }

  async tree(oid: Oid | undefined): Promise<TreeEntry[]> {
    if (!oid) return [];
    const o = await this.object(oid);
    return (o.type === 'tree' ? parseTree(o.content) : null) ?? [];
  }

  /** The thread folders under a root's `communications`, by name; null when it is there but not a folder. */
  async threads(root: TreeEntry[]): Promise<Map<string, TreeEntry> | null> {
    const comms = root.find((e) => e.name === COMMUNICATIONS);
    if (comms && comms.mode !== FOLDER) return null;
    return new Map((await this.tree(comms?.oid)).map((e) => [e.name, e]));
  }

  /** Every object under an entry, the entry's own included (a submodule names no object of the record). */
  async under(e: TreeEntry, out: Oid[]): Promise<void> {
    if (e.mode === modes.submodule) return;
    out.push(e.oid);
    if (e.mode === FOLDER) for (const inner of await this.tree(e.oid)) await this.under(inner, out);
  }

  async sees(reader: ViewReader, folder: TreeEntry): Promise<boolean> {
    if (folder.mode !== FOLDER) return false;
    const ledger = (await this.tree(folder.oid)).find((e) => e.name === LEDGER_FILE);
    const blob = ledger ? await this.source.read(ledger.oid, LEDGER_MAX_BYTES) : null;
    const read = blob?.type === 'blob' && blob.content ? readLedger(blob.content) : null;
    return read?.ok === true && reader.sees(read.value);
  }
}

/** The pushed commits from `old` (excluded) to `tip`, oldest first; or why they are not a line on `old`. */
async function pushedLine(
  r: Reader,
  old: Oid,
  tip: Oid,
  max: number,
  principal?: Principal,
): Promise<{ commits: Array<[Oid, Commit]> } | { finding: Finding }> {
  const line: Array<[Oid, Commit]> = [];
  for (let at = tip; at !== old;) {
    const c = await r.commit(at);
    if (!c)
      return {
        finding: walkFinding({ outcome: 'unreadable-commit', oid: at, problem: 'expected a well-formed commit' }),
      };
    if (c.parents.length === 2 && principal) return { finding: { ...mergeRefused(principal), commit: at } };
    if (c.parents.length > 1) return { finding: walkFinding({ outcome: 'view-merge', parents: c.parents.length, at }) };
    if (c.parents.length === 0) return { finding: walkFinding({ outcome: 'view-not-on', old, at }) };
    if (line.length >= max) return { finding: walkFinding({ outcome: 'too-many', max }) };
    line.push([at, c]);
    at = c.parents[0]!;
  }
  return { commits: line.reverse() };
}

/** The extra headers a view commit may carry: a signature, which the translation keeps for the view. */
function viewHeaders(c: Commit, reader: ViewReader): Array<[string, string]> | string {
  const other = c.extra.find(([name]) => name !== 'gpgsig');
  if (other) return `expected no commit header but tree, parent, author, committer and gpgsig, found \`${other[0]}\``;
  const sig = c.extra.find(([name]) => name === 'gpgsig')?.[1];
  return sig === undefined ? [] : [[VIEW_SIGNATURE_HEADER, `${reader.key}\n${sig}`]];
}

/**
 * Translate a push from a view onto `main` and check that the view of the result is exactly what
 * was pushed. Pure: reads objects, makes new ones in memory; the rules judge the result next.
 */
export async function translatePush(input: TranslateInput): Promise<Translation> {
  const { reader, main, view, old, tip } = input;
  const objects: NewObjects = new Map();
  const r = new Reader(withObjects(input.source, objects));
  const copy: Oid[] = [];
  const commits: TranslatedCommit[] = [];
  const refuse = (finding: Finding): Translation => ({ findings: [finding], commits, objects, copy, built: false });
  if (old !== view) {
    return refuse(walkFinding({ outcome: 'view-moved', view, old }));
  }
  const line = await pushedLine(r, old, tip, input.maxCommits ?? 10_000, input.principal);
  if ('finding' in line) return refuse(line.finding);

  let mainAt = main;
  let viewAt = old;
  for (const [oid, c] of line.commits) {
    const mainCommit = await r.commit(mainAt);
    const [before, after, mainRoot] = await Promise.all([
      r.tree((await r.commit(viewAt))!.tree),
      r.tree(c.tree),
      r.tree(mainCommit!.tree),
    ]);
    const root = new Map(mainRoot.map((e) => [e.name, e]));
    for (const name of new Set([...before, ...after].map((e) => e.name))) {
      if (name === COMMUNICATIONS) continue;
      const [a, b] = [before.find((e) => e.name === name), after.find((e) => e.name === name)];
      if (a?.oid === b?.oid && a?.mode === b?.mode) continue;
      if (b) {
        root.set(name, b);
        await r.under(b, copy);
      } else root.delete(name);
    }
    const [seenOrNull, pushed, threadsOrNull] = await Promise.all([
      r.threads(before),
      r.threads(after),
      r.threads(mainRoot),
    ]);
    const [seen, threads] = [seenOrNull ?? new Map<string, TreeEntry>(), threadsOrNull ?? new Map<string, TreeEntry>()];
    if (!pushed) {
      return refuse(pathFinding({ problem: 'not-a-folder', commit: oid }));
    }
    for (const name of new Set([...seen.keys(), ...pushed.keys()])) {
      const [a, b] = [seen.get(name), pushed.get(name)];
      if (a?.oid === b?.oid && a?.mode === b?.mode) continue;
      const path = `${COMMUNICATIONS}/${name}`;
      const now = threads.get(name);
      if (!a) {
        if (now) return refuse(pathFinding({ problem: 'id-in-use', name, path, commit: oid }));
      } else if (!now || now.oid !== a.oid || !(await r.sees(reader, now))) {
        return refuse(pathFinding({ problem: 'left-thread', path, commit: oid }));
      }
      if (b) {
        threads.set(name, b);
        await r.under(b, copy);
      } else threads.delete(name);
    }
    if (threads.size > 0) {
      const comms = putObject(objects, 'tree', formatTree([...threads.values()]));
      root.set(COMMUNICATIONS, { mode: FOLDER, name: COMMUNICATIONS, oid: comms });
    } else root.delete(COMMUNICATIONS);
    const tree = putObject(objects, 'tree', formatTree([...root.values()]));
    let next: Oid;
    if (tree === c.tree && mainAt === viewAt) {
      next = oid; // nothing out of sight: the pushed commit itself, signature and all
      copy.push(oid);
    } else {
      const headers = viewHeaders(c, reader);
      if (typeof headers === 'string')
        return refuse(exactFinding({ problem: 'headers', reason: headers, commit: oid }));
      const commit = {
        tree,
        parents: [mainAt],
        author: c.author,
        committer: c.committer,
        extra: headers,
        message: c.message,
      };
      next = putObject(objects, 'commit', formatCommit(commit));
    }
    commits.push({ view: oid, main: next });
    mainAt = next;
    viewAt = oid;
  }
  const exact = await checkExact(input, commits, objects);
  return { findings: exact ? [exact] : [], commits, objects, copy, built: true };
}

/** A source that also sees objects made in memory. */
function withObjects(base: ObjectSource, objects: NewObjects): ObjectSource {
  return {
    read: (async (oid: Oid, limit?: number) => {
      const own = objects.get(oid);
      if (own) {
        const content = limit !== undefined && own.content.length > limit ? null : own.content;
        return { type: own.type, size: own.content.length, content };
      }
      return limit === undefined ? base.read(oid) : base.read(oid, limit);
    }) as ObjectSource['read'],
  };
}

/** Null when the view of each translated commit is the pushed one; else the first that is not. */
async function checkExact(
  input: TranslateInput,
  commits: TranslatedCommit[],
  objects: NewObjects,
): Promise<Finding | null> {
  const source = withObjects(input.source, objects);
  const builder = new ViewBuilder(input.reader, source, {
    viewOf: async (q) => (q === input.main ? input.view : undefined),
    isAncestor: ancestryBySource(source),
  });
  let previous = input.view;
  for (const { view, main } of commits) {
    const got = await builder.add(main);
    if (got === view) {
      previous = view;
      continue;
    }
    return exactFinding(
      got === previous ? { problem: 'changes-nothing', commit: view } : { problem: 'not-its-view', commit: view, got },
    );
  }
  return null;
}
