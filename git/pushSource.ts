// Reading a push in pre-receive without starting a process in the usual case: objects the push
// brought are in git's quarantine folder, as a pack (receive.unpackLimit = 1 keeps every push
// packed, so storage grows by what was sent, not by a full copy of each file version) or as loose
// files, and are read here; objects the record already had come from its repository through
// isomorphic-git. isomorphic-git reads a pack whole, so only a small quarantine pack is read in
// this process; a large one is read by `git cat-file`, started with the hook's environment.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { MissingObject, type NewObjects, type ObjectSource, type StoredObject } from '../core/source.js';
import type { Oid } from '../core/objects.js';
import { CatFileSource } from './catfile.js';
import { quarantineReads } from './isoFs.js';
import { decodeLoose } from './loose.js';
import { IsoGitSource, ObjectCache, withLimit } from './store.js';

/** Quarantine packs up to this size (together) are read in this process; larger ones through cat-file. */
const IN_PROCESS_PACK_BYTES = 4 * 1024 * 1024;

/** Objects of a push in flight: quarantine first, then the repository, then cat-file for packs. */
export class PushSource implements ObjectSource {
  #fallback: CatFileSource | null = null;
  /** The quarantine's packs through isomorphic-git; null when there are none or they are too large. */
  #packed: IsoGitSource | null | undefined;

  /**
   * @param quarantine the hook's GIT_OBJECT_DIRECTORY (receive-pack's quarantine), if any
   * @param repo the record's own objects
   * @param env the hook's environment, for cat-file when the quarantine holds packs
   * @param recent objects read from earlier pushes' quarantines (content-addressed, so safe to
   *   reuse for reading; never taken as proof that the record has them)
   * @param brought the objects of the push's pack when it is judged ahead (git/packObjects.ts),
   *   before receive-pack has a quarantine: read after the record's, and an object in neither is
   *   MissingObject, never looked for elsewhere
   */
  constructor(
    readonly quarantine: string | undefined,
    readonly repo: IsoGitSource,
    private readonly env: NodeJS.ProcessEnv,
    private readonly recent?: ObjectCache,
    private readonly brought?: NewObjects,
  ) {}

  /** The object as a loose file of the quarantine, or null when it is not one. */
  async #loose(oid: Oid, limit: number | undefined): Promise<StoredObject<Uint8Array | null> | null> {
    if (!this.quarantine) return null;
    const path = `${this.quarantine}/${oid.slice(0, 2)}/${oid.slice(2)}`;
    // Most objects of a push are packed: asking first spares a missing file's Error and stack trace.
    if (!existsSync(path)) return null;
    let compressed: Buffer;
    try {
      // A blocking read: this runs on a validator thread, and the files are small.
      compressed = readFileSync(path);
    } catch {
      return null;
    }
    return decodeLoose(oid, compressed, limit);
  }

  /** The quarantine's packs, when small enough to read here. */
  #packs(): IsoGitSource | null {
    if (this.#packed !== undefined) return this.#packed;
    this.#packed = null;
    if (!this.quarantine) return null;
    let packs: string[];
    try {
      packs = readdirSync(`${this.quarantine}/pack`).filter((f) => f.endsWith('.pack'));
    } catch {
      return null;
    }
    if (
      packs.length === 0 ||
      packs.reduce((n, f) => n + statSync(`${this.quarantine}/pack/${f}`).size, 0) > IN_PROCESS_PACK_BYTES
    )
      return null;
    // isomorphic-git reads `<gitdir>/objects`: a gitdir that exists only in the paths it is given.
    const view = quarantineReads(this.quarantine);
    return (this.#packed = new IsoGitSource(view.gitdir, 1024 * 1024, view.reads));
  }

  /** True when the record had the object before this push. */
  async existed(oid: Oid): Promise<boolean> {
    return (await this.repo.read(oid, 0)) !== null;
  }

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    // Judged ahead, what lands rests on what this push's pack and the record hold, nothing remembered.
    const seen = this.brought ? undefined : this.recent?.get(oid);
    if (seen) return withLimit(seen, limit);
    const loose = await this.#loose(oid, limit);
    if (loose) {
      if (loose.content) this.recent?.put(oid, { type: loose.type, content: loose.content });
      return loose;
    }
    const packs = this.#packs();
    const packed = packs && (limit === undefined ? await packs.read(oid) : await packs.read(oid, limit));
    if (packed) return packed;
    const known = limit === undefined ? await this.repo.read(oid) : await this.repo.read(oid, limit);
    if (known) return known;
    // The pack's objects after the record's: an object the record has is never read from a
    // request git has not yet checked (git refuses a pushed object that differs from the one it has).
    const sent = this.brought?.get(oid);
    if (sent) return withLimit(sent, limit);
    if (this.brought) throw new MissingObject(oid);
    this.#fallback ??= new CatFileSource(this.repo.gitdir, this.env);
    return limit === undefined ? this.#fallback.read(oid) : this.#fallback.read(oid, limit);
  }

  close(): void {
    this.#fallback?.close();
  }
}
