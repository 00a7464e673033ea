// The objects of a pack as a push sends it (git's pack format, version 2 or 3): whole objects,
// deltas against an earlier entry (`ofs-delta`) and deltas against an object named by id
// (`ref-delta`, which in a thin pack the receiver already has). Every object is hashed here, so an
// object read from this map is the object git will store under the same id. Anything this reader
// does not expect gives null, never a guess: its caller then reads the objects the way it always
// did, from receive-pack's quarantine.

import { createHash } from 'node:crypto';
import { inflateSync } from './zlib.js';
import { hashObject, type ObjectType, type Oid } from '../core/objects.js';
import type { NewObjects, StoredObject } from '../core/source.js';

/** The type codes of whole objects in a pack entry's header (git/views/pack.ts writes them too). */
export const PACK_TYPE_CODE: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPES = Object.fromEntries(Object.entries(PACK_TYPE_CODE).map(([t, c]) => [c, t])) as Record<number, ObjectType>;
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** An entry of the pack: whole, or a delta still to apply to its base (an offset, or an id). */
type Entry = Whole | Delta;
type Whole = { offset: number; type: ObjectType; content: Buffer };
type Delta = { offset: number; base: number | string; delta: Buffer };

/** Why a pack was not read: for the log, never for the pusher. */
export class UnreadPack extends Error {
  override name = 'UnreadPack';
}

/**
 * The objects of a pack by id. `base` gives an object the pack names but does not hold (a thin
 * pack's ref-delta base); `maxBytes` bounds the inflated bytes of every entry together.
 */
export async function readPackObjects(
  pack: Uint8Array,
  base: (oid: Oid) => Promise<StoredObject | null>,
  maxBytes: number,
): Promise<NewObjects> {
  const bytes = asBuffer(pack);
  if (bytes.length < 32 || bytes.toString('latin1', 0, 4) !== 'PACK') throw new UnreadPack('not a pack');
  const version = bytes.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new UnreadPack(`pack version ${version}`);
  const end = bytes.length - 20;
  const trailer = createHash('sha1').update(bytes.subarray(0, end)).digest();
  if (!trailer.equals(bytes.subarray(end))) throw new UnreadPack('the pack checksum does not match');

  const entries: Entry[] = [];
  let budget = maxBytes;
  let at = 12;
  for (let n = bytes.readUInt32BE(8); n > 0; n--) {
    const offset = at;
    let c = byteAt(bytes, at++, end);
    const code = (c >> 4) & 7;
    let size = c & 0x0f;
    for (let shift = 4; c & 0x80; shift += 7) {
      c = byteAt(bytes, at++, end);
      size += (c & 0x7f) * 2 ** shift;
      if (shift > 35) throw new UnreadPack('an entry size too large');
    }
    let baseOf: number | string | undefined;
    if (code === OFS_DELTA) {
      c = byteAt(bytes, at++, end);
      let back = c & 0x7f;
      while (c & 0x80) {
        c = byteAt(bytes, at++, end);
        back = (back + 1) * 128 + (c & 0x7f);
        if (back > offset) throw new UnreadPack('an ofs-delta before the pack');
      }
      if (back <= 0 || back > offset) throw new UnreadPack('an ofs-delta outside the pack');
      baseOf = offset - back;
    } else if (code === REF_DELTA) {
      if (at + 20 > end) throw new UnreadPack('a truncated entry');
      baseOf = bytes.toString('hex', at, at + 20);
      at += 20;
    } else if (!TYPES[code]) throw new UnreadPack(`an entry of type ${code}`);
    budget -= size;
    if (budget < 0) throw new UnreadPack(`more than ${maxBytes} bytes inflated`);
    const inflated = inflate(bytes.subarray(at, end), size);
    at += inflated.read;
    entries.push(
      baseOf === undefined
        ? { offset, type: TYPES[code]!, content: inflated.data }
        : { offset, base: baseOf, delta: inflated.data },
    );
  }
  if (at !== end) throw new UnreadPack('bytes after the last entry');
  return resolve(entries, base, budget);
}

function byteAt(bytes: Buffer, at: number, end: number): number {
  if (at >= end) throw new UnreadPack('a truncated entry');
  return bytes[at]!;
}

/** One zlib stream: what it inflates to (exactly `size` bytes) and how many bytes it took. */
function inflate(from: Buffer, size: number): { data: Buffer; read: number } {
  let out: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // Output in one chunk a byte larger than the stated size (a chunk filled exactly makes zlib
    // allocate a second before it sees the end): no more than the object needs.
    const chunkSize = Math.max(size + 1, 64);
    out = inflateSync(from, { info: true, maxOutputLength: chunkSize, chunkSize }) as unknown as typeof out;
  } catch (e) {
    throw new UnreadPack(`an entry does not inflate: ${(e as Error).message}`);
  }
  if (out.buffer.length !== size) throw new UnreadPack(`an entry inflates to ${out.buffer.length}, not ${size}`);
  return { data: out.buffer, read: out.engine.bytesWritten };
}

/** Apply every delta to its base, bases first; the objects by id. */
async function resolve(
  entries: Entry[],
  base: (oid: Oid) => Promise<StoredObject | null>,
  budget: number,
): Promise<NewObjects> {
  const objects: NewObjects = new Map();
  // The deltas waiting for a base, by the base's offset in the pack or its id.
  const waiting = new Map<number | string, Delta[]>();
  let pending = 0;
  const ready: Whole[] = [];
  for (const e of entries) {
    if ('type' in e) ready.push(e);
    else {
      const same = waiting.get(e.base);
      if (same) same.push(e);
      else waiting.set(e.base, [e]);
      pending++;
    }
  }
  const done = (w: Whole) => {
    const oid = hashObject(w.type, w.content);
    objects.set(oid, { type: w.type, content: w.content });
    for (const key of [w.offset, oid]) {
      for (const d of waiting.get(key) ?? []) ready.push(applied(w, d));
      waiting.delete(key);
    }
  };
  const applied = (from: { type: ObjectType; content: Uint8Array }, d: Delta): Whole => {
    pending--;
    const content = applyDelta(asBuffer(from.content), d.delta, budget);
    budget -= content.length;
    return { offset: d.offset, type: from.type, content };
  };
  const drain = () => {
    for (let w = ready.pop(); w; w = ready.pop()) done(w);
  };
  drain();
  // What is left waits for objects the pack does not hold: a thin pack's bases, from the record,
  // each asked for once, in one walk over the waiting bases (one base may resolve later ones; one
  // the record lacks may still come from a delta resolved later in the walk).
  for (const [key] of [...waiting]) {
    const deltas = waiting.get(key);
    if (!deltas || typeof key === 'number') continue;
    const outside = await base(key as Oid);
    if (!outside) continue;
    budget -= outside.content.length;
    if (budget < 0) throw new UnreadPack('too many bytes with the bases the record gives');
    waiting.delete(key);
    for (const d of deltas) ready.push(applied(outside, d));
    drain();
  }
  if (pending > 0) {
    const key = waiting.keys().next().value;
    throw new UnreadPack(
      typeof key === 'number' ? 'an ofs-delta whose base is not an entry' : `a delta against ${key}, which nobody has`,
    );
  }
  return objects;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * git's delta format: the sizes of the source and the result, then copy and insert instructions.
 * A result said to be larger than `maxSize` is refused before anything is allocated for it.
 */
export function applyDelta(source: Buffer, delta: Buffer, maxSize = Infinity): Buffer {
  let at = 0;
  const size = () => {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= delta.length || shift > 35) throw new UnreadPack('a malformed delta');
      const c = delta[at++]!;
      n += (c & 0x7f) * 2 ** shift;
      if (!(c & 0x80)) return n;
    }
  };
  if (size() !== source.length) throw new UnreadPack('a delta for a base of another size');
  const length = size();
  if (length > maxSize) throw new UnreadPack(`a delta whose result is larger than the ${maxSize} bytes left`);
  const out = Buffer.alloc(length);
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += deltaByte(delta, at++) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) length += deltaByte(delta, at++) * 2 ** (8 * i);
      if (length === 0) length = 0x10000;
      if (offset + length > source.length || written + length > out.length)
        throw new UnreadPack('a delta copies outside its base');
      source.copy(out, written, offset, offset + length);
      written += length;
    } else if (op > 0) {
      if (at + op > delta.length || written + op > out.length) throw new UnreadPack('a delta inserts past its end');
      delta.copy(out, written, at, at + op);
      at += op;
      written += op;
    } else throw new UnreadPack('a delta with a reserved instruction');
  }
  if (written !== out.length) throw new UnreadPack('a delta shorter than its result');
  return out;
}

function deltaByte(delta: Buffer, at: number): number {
  if (at >= delta.length) throw new UnreadPack('a truncated delta');
  return delta[at]!;
}
