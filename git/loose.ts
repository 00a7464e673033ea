// Loose objects as git writes them: zlib of `<type> <size>\0<content>`. Decoded in one place for
// the object store (git/store.ts) and for a push's quarantine (git/pushSource.ts): the header as
// git writes it, the size it states, and the id checked with Node's SHA-1. A damaged object is an
// error that names it, never another content.

import { inflateSync } from './zlib.js';
import type { StoredObject } from '../core/source.js';
import { hashObject, type ObjectType, type Oid } from '../core/objects.js';

/** A loose object's header, as git writes it: its type, a space, its size in decimal. */
const LOOSE_HEADER = /^(blob|tree|commit|tag) (0|[1-9][0-9]*)$/;

const damaged = (oid: Oid, why: string) => new Error(`the loose object ${oid} is damaged: ${why}`);

/** The header of `bytes` (inflated, whole or a first part): type, size and where the content starts; null when no NUL yet. */
function header(oid: Oid, bytes: Buffer): { type: ObjectType; size: number; start: number } | null {
  const nul = bytes.indexOf(0);
  if (nul === -1) return null;
  const m = LOOSE_HEADER.exec(bytes.subarray(0, nul).toString('latin1'));
  if (!m) throw damaged(oid, 'its header is not "<type> <size>"');
  return { type: m[1] as ObjectType, size: Number(m[2]), start: nul + 1 };
}

/** Inflate, as an error that names the object when the bytes are not zlib. */
function inflate(oid: Oid, compressed: Buffer, options: Parameters<typeof inflateSync>[1] = {}): Buffer {
  try {
    return inflateSync(compressed, options);
  } catch {
    throw damaged(oid, 'it does not inflate to what its header says');
  }
}

/**
 * Decode the file of loose object `oid`. With a `limit`, an object larger than that is given
 * without its content, found from its header alone (a first few bytes inflated).
 */
export function decodeLoose(oid: Oid, compressed: Buffer): StoredObject;
export function decodeLoose(oid: Oid, compressed: Buffer, limit: number | undefined): StoredObject<Uint8Array | null>;
export function decodeLoose(oid: Oid, compressed: Buffer, limit?: number): StoredObject<Uint8Array | null> {
  if (limit !== undefined) {
    for (const n of [64, 512, 4096, compressed.length]) {
      const h = header(oid, inflate(oid, compressed.subarray(0, n), { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
      if (h && h.size > limit) return { type: h.type, size: h.size, content: null };
      if (h || n >= compressed.length) break;
    }
  }
  const whole = inflate(oid, compressed);
  const h = header(oid, whole);
  if (!h || whole.length - h.start !== h.size) throw damaged(oid, 'its header is not "<type> <size>"');
  const content = whole.subarray(h.start);
  if (hashObject(h.type, content) !== oid) throw damaged(oid, 'its content does not hash to its id');
  return { type: h.type, size: h.size, content };
}
