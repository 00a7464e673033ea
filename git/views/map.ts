// The durable map from `main` commits to their views: an append-only file of fixed-width lines
// `<main> <view>\n`, appended and fsynced after the view objects are stored and before the view's
// ref moves. Fixed width makes a torn last line (a process killed mid-write) easy to see and cut.

import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { isOid, type Oid } from '../../core/objects.js';
import { syncDir } from '../fsutil.js';

/** Bytes of one line: two object ids, a space, a newline. */
export const LINE_BYTES = 82;

/** A map file whose content is not lines of the map: the view is rebuilt from `main`. */
export class DamagedMap extends Error {
  override name = 'DamagedMap';
}

/** One entry: a `main` commit and its view commit. */
export interface MapEntry {
  main: Oid;
  view: Oid;
}

function parseLine(line: string): MapEntry | null {
  const [main, view] = line.split(' ');
  return line.length === LINE_BYTES - 1 && isOid(main) && isOid(view) ? { main, view } : null;
}

/** The map file of one view repository. */
export class ViewMap {
  constructor(readonly path: string) {}

  async #size(): Promise<number> {
    return fs.stat(this.path).then(
      (s) => s.size,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return 0;
        throw e;
      },
    );
  }

  /**
   * Cut what a killed writer left after the last whole line; gives the bytes cut. Call holding
   * the view's lock, before reading or appending.
   */
  async repair(): Promise<number> {
    const size = await this.#size();
    let keep = size - (size % LINE_BYTES);
    if (keep > 0) {
      const last = await this.#read(keep - LINE_BYTES, LINE_BYTES);
      if (!last.endsWith('\n') || !parseLine(last.slice(0, -1))) keep -= LINE_BYTES;
    }
    if (keep === size) return 0;
    await fs.truncate(this.path, keep);
    return size - keep;
  }

  async #read(at: number, length: number): Promise<string> {
    const fd = await fs.open(this.path, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fd.read(buf, 0, length, at);
      return buf.subarray(0, bytesRead).toString('latin1');
    } finally {
      await fd.close();
    }
  }

  /** The last entry, or null for an empty map. */
  async last(): Promise<MapEntry | null> {
    const size = await this.#size();
    if (size < LINE_BYTES) return null;
    const line = await this.#read(size - (size % LINE_BYTES) - LINE_BYTES, LINE_BYTES);
    const entry = line.endsWith('\n') ? parseLine(line.slice(0, -1)) : null;
    if (!entry) throw new DamagedMap(`${this.path}: the last line is not \`<main> <view>\``);
    return entry;
  }

  /** Every entry, by `main` commit (a later line for the same commit says the same). */
  async all(): Promise<Map<Oid, Oid>> {
    const text = await fs.readFile(this.path, 'latin1').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    const out = new Map<Oid, Oid>();
    for (let at = 0; at + LINE_BYTES <= text.length; at += LINE_BYTES) {
      const entry = text[at + LINE_BYTES - 1] === '\n' ? parseLine(text.slice(at, at + LINE_BYTES - 1)) : null;
      if (!entry) throw new DamagedMap(`${this.path}: line ${at / LINE_BYTES + 1} is not \`<main> <view>\``);
      out.set(entry.main, entry.view);
    }
    return out;
  }

  /** Append entries durably (one write, then fsync; the folder too when the file is new). */
  async append(entries: readonly MapEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const fresh = (await this.#size()) === 0;
    const fd = await fs.open(this.path, 'a', 0o644);
    try {
      await fd.write(Buffer.from(entries.map((e) => `${e.main} ${e.view}\n`).join(''), 'latin1'));
      await fd.sync();
    } finally {
      await fd.close();
    }
    if (fresh) await syncDir(dirname(this.path));
  }
}
