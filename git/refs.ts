// Refs read and moved the way git does it: the value of a loose ref file or of packed-refs, and a
// compare-and-swap through git's own lock file (`<ref>.lock`, created exclusively, renamed over
// the ref), so CCR and git processes (receive-pack, update-ref) exclude each other.

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RecordLocked } from '../core/errors.js';
import { isOid, type Oid } from '../core/objects.js';
import { fsyncFd, syncDir } from './fsutil.js';

/** The branch every record lives on. */
export const MAIN = 'refs/heads/main';

/**
 * A ref file's text, or null when there is none. Read with a blocking call: a ref is 41 bytes and
 * packed-refs of a record a few lines, and every push reads `main` several times on the server's
 * main thread, where an asynchronous read is four thread-pool round trips (issue 17).
 */
async function readText(path: string): Promise<string | null> {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** How many `ref:` indirections are followed, as git (a loop ends here as a missing ref). */
const MAX_SYMREF_DEPTH = 5;

/** The object a ref points at, or null when it does not exist. Follows `ref:` indirections, at most five. */
export async function readRef(gitdir: string, ref: string, depth = 0): Promise<Oid | null> {
  const loose = await readText(`${gitdir}/${ref}`);
  if (loose !== null) {
    const value = loose.trim();
    if (value.startsWith('ref: ')) return depth < MAX_SYMREF_DEPTH ? readRef(gitdir, value.slice(5), depth + 1) : null;
    return isOid(value) ? value : null;
  }
  const packed = await readText(`${gitdir}/packed-refs`);
  for (const line of packed?.split('\n') ?? []) {
    const [oid, name] = line.split(' ');
    if (name === ref && isOid(oid)) return oid;
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Move `ref` to `next` only if it still points at `expected` (null: only if it does not exist).
 * Returns false when it moved meanwhile. Waits up to `waitMs` for a lock held by another process.
 */
export async function compareAndSwapRef(
  gitdir: string,
  ref: string,
  next: Oid,
  expected: Oid | null,
  waitMs = 5000,
): Promise<boolean> {
  const path = `${gitdir}/${ref}`;
  const lock = `${path}.lock`;
  // Blocking calls but for the fsyncs, as refs are read (readText).
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | undefined;
  for (let waited = 0, pause = 2; fd === undefined; waited += pause, pause = Math.min(pause * 2, 50)) {
    try {
      fd = openSync(lock, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (waited >= waitMs) throw new RecordLocked(`${lock} is held by another process`, { lock });
      await sleep(pause);
    }
  }
  let renamed = false;
  try {
    if ((await readRef(gitdir, ref)) !== expected) return false;
    writeFileSync(fd, `${next}\n`);
    await fsyncFd(fd);
    // Forgotten before it is closed: a close that fails still frees the number, which another
    // thread may be given at once, so it is never closed twice.
    const written = fd;
    fd = undefined;
    closeSync(written);
    renameSync(lock, path);
    renamed = true;
    await syncDir(dirname(path));
    return true;
  } finally {
    try {
      if (fd !== undefined) closeSync(fd);
    } finally {
      if (!renamed) rmSync(lock, { force: true });
    }
  }
}
