// Which objects are reachable from given tips: the check that keeps upload-pack from serving by id
// an object that the principal may not read (protocol v2 serves any object it is asked for; v0
// checks commits only). Commits are answered by a walk that stops where the tips' history
// begins; trees and blobs (partial clones fetch them by id) by the set of every object reachable
// from the tips, computed once per tip set, extended when the tips move forward, kept for a few
// repositories within a bound in bytes.

import { isOid, type Oid } from '../core/objects.js';
import { git } from './run.js';

/** Object ids → type, for those the repository holds. */
async function typesOf(gitdir: string, oids: string[], env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const input = oids.join('\n') + '\n';
  const out = await git(['--git-dir', gitdir, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], { env, input });
  const types = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [oid, type] = line.split(' ');
    if (oid && type && type !== 'missing' && isOid(oid)) types.set(oid, type);
  }
  return types;
}

/** The commits among `commits` that are not in the history of `tips`. */
async function commitsOutside(
  gitdir: string,
  tips: readonly string[],
  commits: string[],
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const input = [...commits, ...tips.map((tip) => `^${tip}`)].join('\n') + '\n';
  const listed = new Set((await git(['--git-dir', gitdir, 'rev-list', '--stdin'], { env, input })).split('\n'));
  return commits.filter((c) => listed.has(c));
}

/** Every object id reachable from `tips`, less those reachable from `except`. */
async function objectsOf(
  gitdir: string,
  tips: readonly string[],
  except: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const input = [...tips, ...except.map((x) => `^${x}`)].join('\n') + '\n';
  const out = await git(['--git-dir', gitdir, 'rev-list', '--objects', '--no-object-names', '--stdin'], { env, input });
  return out.split('\n').filter(Boolean);
}

/**
 * Bytes an object id takes in a set: its 40-character string, the set's slot, and (ids are split
 * from git's output) its share of that output. Measured 118 for 200,000 ids (Node 20), so 120.
 */
export const BYTES_PER_ID = 120;

interface ObjectSet {
  gitdir: string;
  tips: string[];
  objects: Promise<Set<string>>;
  size: number;
}

/** Answers "may these objects be served to someone who reads these tips?", with bounded caches. */
export class Reachability {
  readonly #sets = new Map<string, ObjectSet>();

  /** @param maxBytes bytes of object ids kept in memory across repositories (`BYTES_PER_ID` each) */
  constructor(readonly maxBytes = 32 * 1024 * 1024) {}

  /** Estimated bytes of the sets held (those still being computed count nothing yet). */
  get bytes(): number {
    let n = 0;
    for (const s of this.#sets.values()) n += s.size * BYTES_PER_ID;
    return n;
  }

  /**
   * The ids among `oids` that are not reachable from `tips` in the repository (empty: every one
   * may be served). An object the repository does not hold is not reachable.
   */
  async unreachable(
    gitdir: string,
    tips: readonly Oid[],
    oids: readonly string[],
    env: NodeJS.ProcessEnv,
  ): Promise<string[]> {
    const tipSet = new Set<string>(tips);
    const asked = [...new Set(oids)].filter((o) => !tipSet.has(o));
    if (asked.length === 0) return [];
    if (tips.length === 0) return asked;
    const types = await typesOf(gitdir, asked, env);
    const out = asked.filter((o) => !types.has(o));
    const commits = asked.filter((o) => types.get(o) === 'commit');
    if (commits.length > 0) out.push(...(await commitsOutside(gitdir, tips, commits, env)));
    const others = asked.filter((o) => types.has(o) && types.get(o) !== 'commit');
    if (others.length > 0) {
      const reachable = await this.#objects(gitdir, tips, env);
      out.push(...others.filter((o) => !reachable.has(o)));
    }
    return out;
  }

  /** Every object reachable from the tips: cached, extended from an older set of the same repository when the tips moved forward. */
  #objects(gitdir: string, tips: readonly string[], env: NodeJS.ProcessEnv): Promise<Set<string>> {
    const key = `${gitdir}\0${[...tips].sort().join(' ')}`;
    const hit = this.#sets.get(key);
    if (hit) {
      this.#sets.delete(key);
      this.#sets.set(key, hit);
      return hit.objects;
    }
    const older = [...this.#sets.values()].reverse().find((s) => s.gitdir === gitdir);
    const entry: ObjectSet = { gitdir, tips: [...tips], size: 0, objects: Promise.resolve(new Set()) };
    entry.objects = (async () => {
      let set: Set<string> | null = null;
      const base = older ? await older.objects.catch(() => null) : null;
      if (older && base && (await commitsOutside(gitdir, tips, older.tips, env)).length === 0) {
        // The tips moved forward: what the older set holds is still reachable; add what is new.
        set = new Set(base);
        for (const o of await objectsOf(gitdir, tips, older.tips, env)) set.add(o);
      }
      set ??= new Set(await objectsOf(gitdir, tips, [], env));
      entry.size = set.size;
      this.#evict();
      return set;
    })();
    entry.objects.catch(() => this.#sets.delete(key));
    this.#sets.set(key, entry);
    return entry.objects;
  }

  /** Forget the least recently used sets past the bound (a set larger than the bound is not kept). */
  #evict(): void {
    let total = this.bytes;
    for (const [key, s] of this.#sets) {
      if (total <= this.maxBytes) break;
      this.#sets.delete(key);
      total -= s.size * BYTES_PER_ID;
    }
  }
}
