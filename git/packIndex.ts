// Whether a pack index (git's `.idx`, version 2) lists an object: its magic and version, then 256
// cumulative counts by first byte (the fan-out), then the sorted ids. Read to learn what git
// itself stored, never to read objects.

import type { Oid } from '../core/objects.js';

const MAGIC = 0xff744f63;
const FANOUT = 8;
const IDS = FANOUT + 256 * 4;

/** True when the index lists `oid`; false for an index in any other shape. */
export function packIndexHolds(idx: Buffer, oid: Oid): boolean {
  if (idx.length < IDS || idx.readUInt32BE(0) !== MAGIC || idx.readUInt32BE(4) !== 2) return false;
  const id = Buffer.from(oid, 'hex');
  const first = id[0]!;
  let lo = first === 0 ? 0 : idx.readUInt32BE(FANOUT + (first - 1) * 4);
  let hi = idx.readUInt32BE(FANOUT + first * 4);
  if (hi > idx.readUInt32BE(FANOUT + 255 * 4) || IDS + hi * 20 > idx.length) return false;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >>> 1);
    const order = idx.compare(id, 0, 20, IDS + mid * 20, IDS + mid * 20 + 20);
    if (order === 0) return true;
    if (order < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
