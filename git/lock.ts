// One writer at a time per record: a promise queue inside the process, and across processes a
// lock file holding the owner's pid and host. A lock whose owner process is gone (same host) is
// taken over, and what the dead owner may have left half done (ref locks, temporary files) is
// cleared before the new owner starts. The compare-and-swap of `main` stays the last word: even
// two holders of a broken lock cannot lose a commit, one of them simply retries.

import { randomBytes } from 'node:crypto';
import { promises as fs, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { RecordLocked } from '../core/errors.js';
import { recoverRepository } from './recover.js';

const queues = new Map<string, Promise<unknown>>();

/** True when a process with this pid runs on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Owner {
  pid: number;
  host: string;
  nonce: string;
}

// The lock's files are a few bytes in the record's own folder, taken and let go on every push by
// the server's main thread: they are made, read and removed with blocking calls, each a system
// call, where an asynchronous one is a round trip through the thread pool (four for a read) that
// wakes a thread on a busy core (issue 17; git/refs.ts reads refs so too). Waits stay timers.

/** Remove a file if it is there (fs.rm goes through its recursive remover even for one file). */
function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function readOwner(path: string): Owner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Owner;
  } catch {
    return null;
  }
}

/** A lock file nobody can read, older than this, was left by a writer that died creating it. */
const UNREADABLE_STALE_MS = 10_000;

/** True when the lock at `path` belongs to a process that is gone. */
async function stale(path: string, owner: Owner | null): Promise<boolean> {
  if (owner) return owner.host === hostname() && !alive(owner.pid);
  const age = await fs.stat(path).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0,
  );
  return age > UNREADABLE_STALE_MS;
}

/**
 * Take the lock file, waiting up to `waitMs`; gives a release function, and whether the lock was
 * taken over from a dead owner. The file appears with its content in one step (a hard link of a
 * written temporary file), so a writer killed while taking it never leaves an empty lock.
 */
async function acquireFile(path: string, waitMs: number): Promise<{ release: () => Promise<void>; tookOver: boolean }> {
  const me: Owner = { pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') };
  const mine = `${path}.tmp-${me.nonce}`;
  writeFileSync(mine, JSON.stringify(me), { flag: 'wx' });
  let tookOver = false;
  try {
    for (let waited = 0, pause = 1; ; waited += pause, pause = Math.min(pause * 2, 25)) {
      try {
        linkSync(mine, path);
        const release = async () => {
          if (readOwner(path)?.nonce === me.nonce) removeFile(path);
        };
        return { release, tookOver };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // A new owner's clean-up may have removed our temporary file while we waited.
        if (code === 'ENOENT') {
          writeFileSync(mine, JSON.stringify(me));
          continue;
        }
        if (code !== 'EEXIST') throw e;
      }
      const owner = readOwner(path);
      if (await stale(path, owner)) {
        // Move the stale lock aside under a unique name; only one taker wins the rename.
        const aside = `${path}.stale-${me.nonce}`;
        try {
          await fs.rename(path, aside);
          // If another taker replaced the stale lock just before our rename, put theirs back.
          if (readOwner(aside)?.nonce !== owner?.nonce) await fs.link(aside, path).catch(() => undefined);
          else tookOver = true;
          removeFile(aside);
          continue;
        } catch {
          /* someone else took it over first */
        }
      }
      if (waited >= waitMs)
        throw new RecordLocked(`the record is locked by process ${owner?.pid ?? '?'} on ${owner?.host ?? '?'}`, {
          lock: path,
        });
      await new Promise((r) => setTimeout(r, pause));
    }
  } finally {
    try {
      removeFile(mine);
    } catch {
      // Only our temporary file: the lock (taken or not) stands as it is; a later owner's
      // recovery clears what is left (git/recover.ts).
    }
  }
}

/** What the holder of a record lock is told: what a dead owner left and was cleared. */
export interface HeldLock {
  recovered: string[];
}

/** Run `fn` holding the record's lock (`<gitdir>/ccr.lock`), in this process and across processes. */
export async function withRecordLock<T>(
  gitdir: string,
  fn: (lock: HeldLock) => Promise<T>,
  waitMs = 10_000,
): Promise<T> {
  const previous = queues.get(gitdir) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = previous.then(() => mine);
  queues.set(gitdir, tail);
  try {
    await previous;
    const { release, tookOver } = await acquireFile(`${gitdir}/ccr.lock`, waitMs);
    try {
      return await fn({ recovered: tookOver ? await recoverRepository(gitdir) : [] });
    } finally {
      await release();
    }
  } finally {
    done();
    if (queues.get(gitdir) === tail) queues.delete(gitdir);
  }
}

/**
 * Take the record's lock and keep it until `until` settles (a git process the lock must outlive);
 * resolves once it is held. Gives up with RecordLocked after `waitMs`, whether waiting behind
 * writers of this process or at the lock file; a lock taken after that is let go at once.
 */
export function holdRecordLock(gitdir: string, until: Promise<unknown>, waitMs = 10_000): Promise<void> {
  return new Promise((held, failed) => {
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      failed(new RecordLocked(`the record stayed locked for ${waitMs / 1000} s`, { lock: `${gitdir}/ccr.lock` }));
    }, waitMs);
    withRecordLock(
      gitdir,
      async () => {
        clearTimeout(timer);
        if (gaveUp) return;
        held();
        await until.catch(() => undefined);
      },
      waitMs,
    ).catch((e: Error) => {
      clearTimeout(timer);
      failed(e);
    });
  });
}
