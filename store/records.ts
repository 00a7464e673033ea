// The records a server holds: bare repositories under <data>/coordination/<s1>/<s2>/<id>.git.
// A path is used only when every folder on the way is a real folder (no symlink), and listing
// walks the shards in order, so a page costs what it shows, not the number of records.

import { lstatSync, promises as fs } from 'node:fs';
import { isRecordId, shardPath, type RecordId } from '../core/ids.js';
import { withRecordLock } from '../git/lock.js';
import { recoverRepository } from '../git/recover.js';
import { Repository } from '../git/repository.js';

const SHARD = /^[0-9a-f]{2}$/;
const REPO = /^([0-9a-f-]{36})\.git$/;

/** The records of a data folder. */
export class RecordStore {
  readonly #recovered = new Map<string, Promise<void>>();

  /**
   * @param root `<data>/coordination`, as a real path
   * @param recovered when given (the server, which owns the folder), each repository is cleared
   *   of crash leftovers on its first use, and what was removed is reported here
   */
  constructor(
    readonly root: string,
    private readonly recovered?: (id: RecordId, removed: string[]) => void,
  ) {}

  /** The bare repository path of a record id (not checked on disk). */
  path(id: RecordId): string {
    const [s1, s2] = shardPath(id);
    return `${this.root}/${s1}/${s2}/${id}.git`;
  }

  /**
   * The repository of a record if it exists as real folders (no symlinks anywhere), else null;
   * also null when `may` (whether the asker may use it) says no. That is asked before the first
   * use's clean-up, which waits for the record lock: a principal without access gets its 404 at
   * once, never a 503 for a lock it could not know about.
   */
  async open(id: RecordId, may?: (repo: Repository) => Promise<boolean>): Promise<Repository | null> {
    const [s1, s2] = shardPath(id);
    let at = this.root;
    // Three lstat calls of local folders, a few µs each: synchronous, which costs the event loop
    // less than three trips through the thread pool (every push opens its record three times).
    for (const part of [s1, s2, `${id}.git`]) {
      at = `${at}/${part}`;
      try {
        if (!lstatSync(at, { throwIfNoEntry: false })?.isDirectory()) return null;
      } catch {
        return null; // under a file, or unreadable: no record here
      }
    }
    const repo = new Repository(at);
    if (may && !(await may(repo))) return null;
    if (this.recovered) await this.#recover(id, at);
    return repo;
  }

  /** Clear crash leftovers once per process, under the record lock; concurrent first uses wait for it. */
  #recover(id: RecordId, gitdir: string): Promise<void> {
    let done = this.#recovered.get(gitdir);
    if (!done) {
      done = withRecordLock(gitdir, async (lock) => [...lock.recovered, ...(await recoverRepository(gitdir))]).then(
        (removed) => {
          if (removed.length > 0) this.recovered?.(id, removed);
        },
      );
      // A failure (the lock held too long) is tried again on the next use.
      done.catch(() => this.#recovered.delete(gitdir));
      this.#recovered.set(gitdir, done);
    }
    return done;
  }

  /** Record ids in order, after `after` (exclusive), at most `limit`; `next` when more follow. */
  async list(after: string | undefined, limit: number): Promise<{ records: RecordId[]; next?: RecordId }> {
    const out: RecordId[] = [];
    const names = async (dir: string, pattern: RegExp) => {
      try {
        return (await fs.readdir(dir, { withFileTypes: true }))
          .filter((d) => d.isDirectory() && pattern.test(d.name))
          .map((d) => d.name)
          .sort();
      } catch {
        return [];
      }
    };
    // `after` is a caller's cursor, only compared as a string (it need not name a record held
    // here): its shard folders are where the listing resumes, cut as shardPath cuts a record id.
    const [a1, a2] = after ? [after.slice(0, 2), after.slice(2, 4)] : ['', ''];
    for (const s1 of await names(this.root, SHARD)) {
      if (s1 < a1) continue;
      for (const s2 of await names(`${this.root}/${s1}`, SHARD)) {
        if (s1 === a1 && s2 < a2) continue;
        for (const entry of await names(`${this.root}/${s1}/${s2}`, REPO)) {
          const id = entry.slice(0, -4);
          if (!isRecordId(id) || (after !== undefined && id <= after) || id.slice(0, 2) !== s1 || id.slice(2, 4) !== s2)
            continue;
          if (out.length === limit) return { records: out, next: out[out.length - 1]! };
          out.push(id);
        }
      }
    }
    return { records: out };
  }
}
