// The view repositories of a data folder: one bare repository per (record, reader) at
// <data>/views/<s1>/<s2>/<record-id>/<key>.git, whose objects/info/alternates names the record's
// objects, so it stores only view commits and the trees above the thread folders. Its
// refs/heads/main is the view of the last `main` commit processed; ccr-view-map maps every
// processed `main` commit to its view. An update walks `main` from the map's last entry, stores
// the new view objects, appends to the map, and moves the ref last (compare-and-swap), under a
// lock per view: killed at any moment it leaves the view it had or a later one, never another,
// and it never writes in the record. A view that is missing or damaged is built again from `main`.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, relative } from 'node:path';
import { RecordNotFound } from '../../core/errors.js';
import { shardPath, type RecordId } from '../../core/ids.js';
import { isOid, type Oid } from '../../core/objects.js';
import { MissingObject, type ObjectSource, type StoredObject } from '../../core/source.js';
import { MissingView, ViewBuilder } from '../../core/views/project.js';
import { isViewKey, type ViewReader } from '../../core/views/reader.js';
import { CatFileSource } from '../catfile.js';
import { exists, syncDir, syncTree } from '../fsutil.js';
import { withRecordLock } from '../lock.js';
import { MAIN, compareAndSwapRef, readRef } from '../refs.js';
import { initRepository } from '../repository.js';
import { git, runGit } from '../run.js';
import { IsoGitSource, type PendingObject } from '../store.js';
import { DamagedMap, ViewMap, type MapEntry } from './map.js';
import { storeObjects } from './pack.js';

/** Past this many `main` commits to project, an update reads objects through `git cat-file`. */
const LONG_BUILD = 64;

/** The name of the map file in a view repository. */
export const MAP_FILE = 'ccr-view-map';

/** What an update did. */
export interface ViewUpdate {
  /** The view of `main` now (null for a record without commits). */
  view: Oid | null;
  /** The `main` commit it is the view of. */
  main: Oid | null;
  /** `main` commits projected, and new view commits made. */
  projected: number;
  made: number;
  /** True when the view was built from nothing (new, missing or damaged). */
  rebuilt: boolean;
}

/** Options of an update. */
export interface UpdateOptions {
  /** Objects of the record (the server's reader, warm); default: a reader of its own. */
  mainSource?: ObjectSource;
  /** `main` commits projected between two stores of objects and map entries. */
  batch?: number;
  /** Told after each batch is stored (tests stop a process there). */
  onBatch?: (projected: number) => void;
}

/** Sources read one after the other. */
export function layered(first: ObjectSource, second: ObjectSource): ObjectSource {
  return {
    read: (async (oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> => {
      const o = limit === undefined ? await first.read(oid) : await first.read(oid, limit);
      if (o) return o;
      return limit === undefined ? second.read(oid) : second.read(oid, limit);
    }) as ObjectSource['read'],
  };
}

/** The view repositories of a data folder. */
export class ViewStore {
  /** @param data the data folder, holding `coordination/` (records) and `views/` */
  constructor(readonly data: string) {}

  /** The bare repository of a record. */
  recordDir(id: RecordId): string {
    const [s1, s2] = shardPath(id);
    return `${this.data}/coordination/${s1}/${s2}/${id}.git`;
  }

  /** The folder holding every view of a record. */
  viewsOf(id: RecordId): string {
    const [s1, s2] = shardPath(id);
    return `${this.data}/views/${s1}/${s2}/${id}`;
  }

  /** The view repository of a record for a reader key. */
  viewDir(id: RecordId, key: string): string {
    if (!isViewKey(key)) throw new TypeError(`not a view key: ${JSON.stringify(key)}`);
    return `${this.viewsOf(id)}/${key}.git`;
  }

  /** The view commit a reader's view repository serves now (null when none yet). */
  head(id: RecordId, key: string): Promise<Oid | null> {
    return readRef(this.viewDir(id, key), MAIN);
  }

  /** Bring a reader's view up to the record's `main`, creating or rebuilding it as needed. */
  async update(id: RecordId, reader: ViewReader, options: UpdateOptions = {}): Promise<ViewUpdate> {
    const record = this.recordDir(id);
    if (!(await exists(`${record}/objects`))) throw new RecordNotFound(`no record ${id}`, { id });
    const dir = this.viewDir(id, reader.key);
    const created = await this.#ensure(dir, record);
    return withRecordLock(dir, async () => {
      try {
        return { ...(await this.#update(record, dir, reader, options)), ...(created ? { rebuilt: true } : {}) };
      } catch (e) {
        if (!(e instanceof MissingView || e instanceof MissingObject || e instanceof DamagedMap)) throw e;
        // The map and the objects disagree with `main` (lost objects, a record restored from a
        // backup): the view is derived data, so it is built again from `main`.
        await this.#wipe(dir);
        return { ...(await this.#update(record, dir, reader, options)), rebuilt: true };
      }
    });
  }

  /** Build a reader's view again from nothing (same commits: a view is a function of `main`). */
  async rebuild(id: RecordId, reader: ViewReader, options: UpdateOptions = {}): Promise<ViewUpdate> {
    const dir = this.viewDir(id, reader.key);
    await this.#ensure(dir, this.recordDir(id));
    await withRecordLock(dir, () => this.#wipe(dir));
    return { ...(await this.update(id, reader, options)), rebuilt: true };
  }

  /** Remove one view of a record, or every view of it (when the record goes, or to free space). */
  async remove(id: RecordId, key?: string): Promise<void> {
    const target = key === undefined ? this.viewsOf(id) : this.viewDir(id, key);
    if (!(await exists(target))) return;
    const aside = `${dirname(target)}/.trash-${randomBytes(6).toString('hex')}`;
    const move = () => fs.rename(target, aside);
    // A view being updated keeps its lock until done; then it is moved aside in one step.
    if (key !== undefined) await withRecordLock(target, move);
    else await move();
    await fs.rm(aside, { recursive: true, force: true });
  }

  /** Create the view repository if it is not there (whole, in one rename); true when created. */
  async #ensure(dir: string, record: string): Promise<boolean> {
    if (await exists(`${dir}/objects/info/alternates`)) return false;
    const parent = dirname(dir);
    await fs.mkdir(parent, { recursive: true });
    await this.#sweep(parent);
    const tmp = `${parent}/.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await initRepository(tmp, true);
      await fs.mkdir(`${tmp}/objects/info`, { recursive: true });
      // Relative, so the data folder can be moved whole.
      await fs.writeFile(`${tmp}/objects/info/alternates`, `${relative(`${dir}/objects`, `${record}/objects`)}\n`);
      // receive-pack would advertise the record's refs as `.have` lines: `main`'s id is not the view's.
      await fs.appendFile(`${tmp}/config`, '\talternateRefsCommand = true\n');
      await syncTree(tmp);
      await fs.rename(tmp, dir);
      await syncDir(parent);
      return true;
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      // Made meanwhile by another process: use that one.
      if (['EEXIST', 'ENOTEMPTY'].includes((e as NodeJS.ErrnoException).code ?? '')) return false;
      throw e;
    }
  }

  /** Remove what interrupted creations and removals left in a record's views folder (older than a minute). */
  async #sweep(parent: string): Promise<void> {
    for (const name of await fs.readdir(parent).catch(() => [])) {
      if (!name.startsWith('.tmp-') && !name.startsWith('.trash-')) continue;
      const age = await fs.stat(`${parent}/${name}`).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 60_000) await fs.rm(`${parent}/${name}`, { recursive: true, force: true });
    }
  }

  /** Empty a view repository but for its configuration and alternates (lock held). */
  async #wipe(dir: string): Promise<void> {
    await fs.rm(`${dir}/${MAP_FILE}`, { force: true });
    await fs.rm(`${dir}/refs/heads/main`, { force: true });
    await fs.rm(`${dir}/packed-refs`, { force: true });
    for (const name of await fs.readdir(`${dir}/objects`)) {
      if (name !== 'info') await fs.rm(`${dir}/objects/${name}`, { recursive: true, force: true });
    }
    await syncDir(`${dir}/objects`);
  }

  async #update(record: string, dir: string, reader: ViewReader, options: UpdateOptions): Promise<ViewUpdate> {
    const main = await readRef(record, MAIN);
    const ref = await readRef(dir, MAIN);
    if (!main) return { view: null, main: null, projected: 0, made: 0, rebuilt: false };
    const map = new ViewMap(`${dir}/${MAP_FILE}`);
    await map.repair();
    const last = await map.last();
    if (last?.main === main) {
      // Done before, but the ref was not moved (killed after the map): `main` holds everything before.
      if (ref !== last.view && !(await compareAndSwapRef(dir, MAIN, last.view, ref))) {
        throw new Error(`${dir}: the view moved meanwhile`);
      }
      return { view: last.view, main, projected: 0, made: 0, rebuilt: false };
    }
    const since = last ? [`^${last.main}`] : [];
    const listed = await runGit(['--git-dir', record, 'rev-list', '--topo-order', '--reverse', main, ...since]);
    // The map's last commit is not in the record (a record restored from a backup): build again.
    if (listed.code !== 0) throw new DamagedMap(`${dir}: ${listed.stderr.trim()}`);
    const commits = listed.stdout.toString().split('\n').filter(isOid);

    // A long build reads through git's own cat-file (the view's objects, then the record's through
    // its alternate), far faster on a pack's deltas; a short update reads in process, no process start.
    const cat = options.mainSource === undefined && commits.length > LONG_BUILD ? new CatFileSource(dir) : null;
    const own = new IsoGitSource(dir, 4 * 1024 * 1024);
    const source = cat ?? layered(options.mainSource ?? new IsoGitSource(record), own);
    try {
      let everything: Map<Oid, Oid> | null = null;
      let made = 0;
      const store = async (objects: ReadonlyMap<Oid, PendingObject>) => {
        for (const o of objects.values()) if (o.type === 'commit') made++;
        await storeObjects(dir, objects);
      };
      const builder: ViewBuilder = new ViewBuilder(reader, source, {
        viewOf: async (q) => {
          if (q === last?.main) return last.view;
          everything ??= await map.all();
          return everything.get(q);
        },
        isAncestor: async (a, b) => {
          // Only merges ask; the views being compared must be on disk for git to walk them.
          await store(builder.take());
          return (await runGit(['--git-dir', dir, 'merge-base', '--is-ancestor', a, b])).code === 0;
        },
      });
      const batch = options.batch ?? 2000;
      // The `main` commit whose view the ref shows, when known: the ref moves only to the view of a
      // commit that descends from it (a view only grows), or, shown nothing yet, to any.
      let [refMain, refView] = [last && ref === last.view ? last.main : null, ref];
      const forward = async (end: Oid) => {
        if (end === main || refView === null) return true;
        if (refMain === null) return false;
        return (await runGit(['--git-dir', record, 'merge-base', '--is-ancestor', refMain, end])).code === 0;
      };
      for (let at = 0; at < commits.length; at += batch) {
        const chunk = commits.slice(at, at + batch);
        const entries: MapEntry[] = [];
        for (const c of chunk) entries.push({ main: c, view: await builder.add(c) });
        await store(builder.take());
        await map.append(entries);
        const end = chunk[chunk.length - 1]!;
        const view = builder.views.get(end)!;
        if (view !== refView && (await forward(end))) {
          if (!(await compareAndSwapRef(dir, MAIN, view, refView))) throw new Error(`${dir}: the view moved meanwhile`);
          [refMain, refView] = [end, view];
        }
        options.onBatch?.(at + chunk.length);
      }
      return { view: builder.views.get(main) ?? refView, main, projected: commits.length, made, rebuilt: false };
    } finally {
      cat?.close();
    }
  }
}

/** Every object id reachable from a view's ref (a helper for checks and tests). */
export async function viewObjects(dir: string): Promise<string[]> {
  const listed = await git(['--git-dir', dir, 'rev-list', '--objects', '--no-object-names', '--all']);
  return listed.split('\n').filter(Boolean);
}
