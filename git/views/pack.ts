// Storing many objects at once: one pack (no deltas; view objects are small trees and commits)
// handed to `git index-pack`, which writes the pack and its index with fsync. A few objects are
// written as durable loose objects instead: a process start costs more than a handful of fsyncs.

import { createHash } from 'node:crypto';
import { deflateSync } from '../zlib.js';
import type { Oid } from '../../core/objects.js';
import { GitFailure } from '../../core/errors.js';
import { syncDir } from '../fsutil.js';
import { PACK_TYPE_CODE } from '../packObjects.js';
import { runGit } from '../run.js';
import { writeObjects, type PendingObject } from '../store.js';

/** Up to this many objects are written loose. */
const LOOSE_MAX = 48;

/** The bytes of a pack (version 2) holding the objects whole. */
export function packOf(objects: ReadonlyMap<Oid, PendingObject>): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.size, 8);
  const parts: Buffer[] = [head];
  for (const o of objects.values()) {
    // Type and size: the low four bits of the size in the first byte, then seven bits a byte.
    let size = o.content.length;
    const bytes = [(PACK_TYPE_CODE[o.type] << 4) | (size & 0x0f)];
    size = Math.floor(size / 16);
    while (size > 0) {
      bytes[bytes.length - 1]! |= 0x80;
      bytes.push(size & 0x7f);
      size = Math.floor(size / 128);
    }
    parts.push(Buffer.from(bytes), deflateSync(o.content, { level: 1 }));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** Store objects in a repository durably: loose when few, else as one pack. */
export async function storeObjects(gitdir: string, objects: ReadonlyMap<Oid, PendingObject>): Promise<void> {
  if (objects.size === 0) return;
  if (objects.size <= LOOSE_MAX) {
    await writeObjects(gitdir, objects);
    return;
  }
  const fsync = ['-c', 'core.fsync=objects,derived-metadata,reference', '-c', 'core.fsyncMethod=fsync'];
  const r = await runGit([...fsync, '--git-dir', gitdir, 'index-pack', '--stdin'], { input: packOf(objects) });
  if (r.code !== 0) {
    throw new GitFailure(`git index-pack failed: ${r.stderr.trim()}`, { stderr: r.stderr, code: r.code });
  }
  await syncDir(`${gitdir}/objects/pack`);
}
