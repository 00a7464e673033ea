// The object store of a repository CCR trusts (its own records, a working copy): reads through
// isomorphic-git, which understands packs; writes as durable loose objects of its own, because
// isomorphic-git writes objects in place without fsync (a crash would leave a torn object that
// later writes skip as "already there").

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { deflateSync } from './zlib.js';
import git, { type PromiseFsClient } from 'isomorphic-git';
import './nativeInflate.js';
import type { ObjectSource, StoredObject } from '../core/source.js';
import { hashObject, type ObjectType, type Oid } from '../core/objects.js';
import { syncDir, writeFileDurable } from './fsutil.js';
import { decodeLoose } from './loose.js';
import { blockingReads, keptListings, mainThreadReads } from './isoFs.js';

/** An object held in memory before it is written. */
export interface PendingObject {
  type: ObjectType;
  content: Uint8Array;
}

/** Objects by id in memory, the least recently used forgotten past a byte bound. */
export class ObjectCache {
  readonly #objects = new Map<Oid, PendingObject>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  /** Bytes of the objects held. */
  get bytes(): number {
    return this.#bytes;
  }

  get(oid: Oid): PendingObject | undefined {
    const o = this.#objects.get(oid);
    if (o) {
      this.#objects.delete(oid);
      this.#objects.set(oid, o);
    }
    return o;
  }

  put(oid: Oid, o: PendingObject): void {
    if (this.#objects.has(oid) || o.content.length > this.maxBytes / 4) return;
    this.#objects.set(oid, o);
    this.#bytes += o.content.length;
    for (const [old, v] of this.#objects) {
      if (this.#bytes <= this.maxBytes) break;
      this.#objects.delete(old);
      this.#bytes -= v.content.length;
    }
  }
}

/**
 * Reads objects of a repository with isomorphic-git (loose and packed). Objects are immutable, so
 * the most recently read or written ones are kept in memory (bounded by bytes): the trees and
 * files of `main` that the next operation reads are usually the ones the last one wrote.
 */
export class IsoGitSource implements ObjectSource {
  /** isomorphic-git's cache: each pack's index, the pack once read, and objects it rebuilt from deltas. */
  #packCache: object = {};
  /** The packs of `#packCache` as loaded, for counting their bytes. */
  #packs = new PackBytes();
  readonly #recent: ObjectCache;
  readonly #fs: PromiseFsClient;
  /** The pack folder's kept listing (`keptListings`). */
  readonly #listing: ReturnType<typeof keptListings>;
  /**
   * @param reads how files are read (git/isoFs.ts): true, with blocking calls (right in a worker
   *   thread, where a thread-pool round trip per file costs more than the read); false, as fits the
   *   main thread; or through the file system given (a quarantine seen as a repository)
   */
  constructor(
    readonly gitdir: string,
    cacheBytes = 16 * 1024 * 1024,
    reads: boolean | PromiseFsClient = false,
  ) {
    this.#recent = new ObjectCache(cacheBytes);
    this.#listing = keptListings(typeof reads === 'object' ? reads : reads ? blockingReads : mainThreadReads);
    this.#fs = this.#listing.reads;
  }

  /**
   * Bytes this source holds in memory: its recent objects, the packs' listing, and the packs, pack
   * indexes and rebuilt objects of isomorphic-git's pack cache (estimated; see `PackBytes`).
   */
  get bytes(): number {
    return this.#recent.bytes + this.#listing.bytes() + this.#packs.bytes;
  }

  /** Let go of the pack cache and the packs' listing (they are loaded again on the next packed read). */
  dropPacks(): void {
    this.#listing.forget();
    this.#packCache = {};
    this.#packs = new PackBytes();
  }

  /** Keep an object (one just written, say) among the recent ones. */
  remember(oid: Oid, o: PendingObject): void {
    this.#recent.put(oid, o);
  }

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    let found = this.#recent.get(oid) ?? (await this.#loose(oid));
    if (!found) {
      let listed: { path: string; names: Promise<string[]> } | undefined;
      try {
        found = await this.#packed(oid, (path, names) => (listed = { path, names }));
      } catch (e) {
        if ((e as { code?: string }).code === 'NotFoundError') {
          // In none of the packs as listed: final if that listing is the folder as it is now;
          // else a pack has landed since, and the read is made again with the new listing.
          if (listed && (await this.#listing.current(listed.path, listed.names))) return null;
        } else {
          // A repack (git gc, the server's upkeep) deleted a listed pack, which isomorphic-git
          // fails on: the packs are listed and loaded again, once, from scratch.
          this.dropPacks();
        }
        try {
          found = await this.#packed(oid);
        } catch (again) {
          if ((again as { code?: string }).code === 'NotFoundError') return null;
          throw again;
        }
      }
      this.remember(oid, found);
      await this.#packs.note(this.#packCache);
    }
    return withLimit(found, limit);
  }

  /**
   * An object of the packs, through isomorphic-git (a missing one: its NotFoundError); `listed`
   * is told which listing of the pack folder it looked in.
   */
  async #packed(oid: Oid, listed?: (path: string, names: Promise<string[]>) => void): Promise<PendingObject> {
    const fs = this.#fs.promises;
    const o = await git.readObject({
      fs: listed
        ? {
            promises: {
              ...fs,
              readdir: (path: string) => {
                const names = fs.readdir(path) as Promise<string[]>;
                listed(path, names);
                return names;
              },
            },
          }
        : this.#fs,
      gitdir: this.gitdir,
      oid,
      format: 'content',
      cache: this.#packCache,
    });
    return { type: o.type as ObjectType, content: o.object as Uint8Array };
  }

  /**
   * A loose object, read and checked here: isomorphic-git checks a loose object's id with Web
   * Crypto's SHA-1, a thread-pool round trip per object (and a test digest first), where Node's
   * hash of a few hundred bytes takes microseconds. Null when it is not loose here (isomorphic-git
   * then looks in the packs).
   */
  async #loose(oid: Oid): Promise<PendingObject | null> {
    let compressed: Buffer;
    try {
      compressed = (await this.#fs.promises.readFile(
        `${this.gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`,
      )) as Buffer;
    } catch {
      return null;
    }
    const { type, content } = decodeLoose(oid, compressed);
    const found = { type, content };
    this.remember(oid, found);
    return found;
  }
}

/** What isomorphic-git keeps of one pack (its `GitPackIndex`): the fields counted. */
interface LoadedPack {
  offsets?: Map<string, number>;
  pack?: Promise<Uint8Array | null> | Uint8Array | null;
  offsetCache?: Record<string, { object?: Uint8Array }>;
}

/**
 * Counts the bytes of isomorphic-git's pack cache: it keeps, per pack file read, the parsed index
 * (an id → offset map: ≈120 bytes an object), the whole pack once an object was read from it, and
 * objects rebuilt from long delta chains. It is an opaque object to callers, so the packs are
 * found by their maps' values as isomorphic-git stores them (promises of its `GitPackIndex`).
 */
class PackBytes {
  readonly #seen = new WeakSet<object>();
  readonly #loaded: LoadedPack[] = [];
  readonly #packSizes = new Map<LoadedPack, number>();

  /** Find packs loaded since the last call (after a read through the cache). */
  async note(cache: object): Promise<void> {
    for (const sym of Object.getOwnPropertySymbols(cache)) {
      const map = (cache as Record<symbol, unknown>)[sym];
      if (!(map instanceof Map)) continue;
      for (const p of map.values() as Iterable<unknown>) {
        if (typeof p !== 'object' || p === null || this.#seen.has(p)) continue;
        this.#seen.add(p);
        const loaded = (await Promise.resolve(p).catch(() => null)) as LoadedPack | null;
        if (loaded && typeof loaded === 'object') this.#loaded.push(loaded);
      }
    }
    for (const l of this.#loaded) {
      if (this.#packSizes.has(l) || !l.pack) continue;
      const pack = await Promise.resolve(l.pack).catch(() => null);
      if (pack) this.#packSizes.set(l, pack.byteLength);
    }
  }

  /** Estimated bytes of the packs noted. */
  get bytes(): number {
    let n = 0;
    for (const l of this.#loaded) {
      n += 120 * (l.offsets?.size ?? 0) + (this.#packSizes.get(l) ?? 0);
      for (const o of Object.values(l.offsetCache ?? {})) n += 64 + (o.object?.byteLength ?? 0);
    }
    return n;
  }
}

/** An object in memory as read with an optional limit. */
export function withLimit(o: PendingObject, limit: number | undefined): StoredObject<Uint8Array | null> {
  const size = o.content.length;
  return { type: o.type, size, content: limit !== undefined && size > limit ? null : o.content };
}

/** A source that sees objects not yet written (a commit being judged before it is stored). */
export class OverlaySource implements ObjectSource {
  constructor(
    readonly base: ObjectSource,
    readonly pending: ReadonlyMap<Oid, PendingObject>,
  ) {}

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    const p = this.pending.get(oid);
    if (p) return withLimit(p, limit);
    return limit === undefined ? this.base.read(oid) : this.base.read(oid, limit);
  }
}

/** Write one loose object durably; an object already present is left as it is. */
export async function writeLooseObject(
  gitdir: string,
  type: ObjectType,
  content: Uint8Array,
  oid = hashObject(type, content),
): Promise<Oid> {
  const dir = `${gitdir}/objects/${oid.slice(0, 2)}`;
  const file = `${dir}/${oid.slice(2)}`;
  try {
    // There already: its time freshened, as git does, so that a prune of what nothing references
    // (the daily gc, server/maintenance.ts) cannot take it while this write comes to reference it.
    const now = new Date();
    await fs.utimes(file, now, now);
    return oid;
  } catch {
    /* not there yet (or not ours to touch: written again, over it) */
  }
  await fs.mkdir(dir, { recursive: true });
  // Level 1, as git itself writes loose objects (core.looseCompression); a temporary file named
  // the way git names its own, so that git's tools know it for one.
  const data = deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]), { level: 1 });
  await writeFileDurable(file, data, {
    mode: 0o444,
    syncFolder: false,
    tmp: `${dir}/tmp_obj_${randomBytes(6).toString('hex')}`,
  });
  return oid;
}

/**
 * Write pending objects durably: each file synced, then each fan-out folder that gained entries,
 * and `objects/` itself when it gained a fan-out folder. Gives the folders synced.
 */
export async function writeObjects(gitdir: string, objects: ReadonlyMap<Oid, PendingObject>): Promise<string[]> {
  const dirs = [...new Set([...objects.keys()].map((oid) => `${gitdir}/objects/${oid.slice(0, 2)}`))];
  const made = await Promise.all(dirs.map((dir) => fs.mkdir(dir, { recursive: true })));
  await Promise.all([...objects].map(([oid, o]) => writeLooseObject(gitdir, o.type, o.content, oid)));
  const synced = made.some((m) => m !== undefined) ? [...dirs, `${gitdir}/objects`] : dirs;
  // Folders after the files they hold, `objects/` after the folders it gained.
  await Promise.all(dirs.map(syncDir));
  if (synced.length > dirs.length) await syncDir(`${gitdir}/objects`);
  return synced;
}
