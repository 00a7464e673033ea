// Durable file writes: temporary file, fsync, rename, fsync of the folder. A crash leaves the old
// file or the new one, never a torn one.

import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { dirname } from 'node:path';

/** fsync an open file descriptor on the thread pool (the wait for the disk stays off the event loop). */
export const fsyncFd: (fd: number) => Promise<void> = promisify(fsync);

/**
 * fsync a folder so a rename or a new entry in it survives a crash (or a file, opened the same
 * way). The fsync, which waits for the disk, goes to the thread pool; opening and closing are
 * blocking calls (a system call each, not two more round trips through the pool: issue 17).
 */
export async function syncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync every file and folder under `dir`, each folder after what it holds: a tree built in place is then whole on disk. */
export async function syncTree(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) await syncTree(path);
      else if (e.isFile()) await syncDir(path);
    }),
  );
  await syncDir(dir);
}

/** How a durable write is made. */
export interface DurableWrite {
  mode?: number;
  /** False when the caller fsyncs the folder itself, once for many files. */
  syncFolder?: boolean;
  /** The temporary file (default: next to the file, named after it). */
  tmp?: string;
}

/** Write a file atomically and durably. A failure (a full disk) leaves no partial file. */
export async function writeFileDurable(path: string, data: Uint8Array | string, o: DurableWrite = {}): Promise<void> {
  const { mode = 0o644, syncFolder = true, tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}` } = o;
  try {
    const fd = await fs.open(tmp, 'wx', mode);
    try {
      await fd.writeFile(data);
      await fd.sync();
    } finally {
      await fd.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  if (syncFolder) await syncDir(dirname(path));
}

/** True when the path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
