// The file systems isomorphic-git reads objects through (git/store.ts IsoGitSource). A read of one
// object costs isomorphic-git several file calls (is the gitdir a folder, the loose file, the pack
// folder, each pack index), a missing file (every packed object is first looked for loose) is an
// Error with a stack trace, and isomorphic-git builds its wrapper on every read, probing with
// `readFile()` (another Error). These make the metadata calls blocking and cheap, never build a
// stack trace for a missing file, and read file contents blocking in worker threads but
// asynchronously on the main thread: blocking content reads there made a sequential push ~10 %
// slower (measured: the event loop held through the feed's reads while the next push arrived).

import * as nodeFs from 'node:fs';
import { posix } from 'node:path';
import type { PromiseFsClient } from 'isomorphic-git';

/** A missing file, as isomorphic-git tests it (by code); made once, so probing costs no stack trace. */
const NOT_FOUND: Error & { code: string } = Object.assign(new Error('no such file or directory'), { code: 'ENOENT' });
/** What a source never does: isomorphic-git is given these only to read objects. */
const readOnly = () => Promise.reject(new Error('an object source does not write'));

/** Blocking calls in a row before the main thread's event loop gets a turn (a long history walk must not hold it). */
const BLOCKING_STREAK = 64;

type ReadOptions = Parameters<typeof nodeFs.readFileSync>[1];

/** The size of a file, or NOT_FOUND thrown. */
function statOrMissing(path: string, follow = true): nodeFs.Stats {
  const s = follow
    ? nodeFs.statSync(path, { throwIfNoEntry: false })
    : nodeFs.lstatSync(path, { throwIfNoEntry: false });
  if (!s) throw NOT_FOUND;
  return s;
}

/** The read calls isomorphic-git makes, over `at` (which maps a path it asks for to the one read). */
function readCalls(at: (path: string) => string, mainThread: boolean): PromiseFsClient {
  let streak = 0;
  /** On the main thread, every BLOCKING_STREAK-th call waits for the event loop's next turn. */
  const turn = async () => {
    if (mainThread && ++streak >= BLOCKING_STREAK) {
      streak = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return {
    promises: {
      // Called without a path, isomorphic-git asks whether this is a promise API: it is.
      readFile: async (path?: string, options?: ReadOptions) => {
        if (path === undefined) return undefined;
        await turn();
        const p = at(path);
        statOrMissing(p);
        return mainThread
          ? nodeFs.promises.readFile(p, options as Parameters<typeof nodeFs.promises.readFile>[1])
          : nodeFs.readFileSync(p, options);
      },
      readdir: async (path: string) => {
        await turn();
        const p = at(path);
        statOrMissing(p); // a quarantine of loose objects only has no pack folder: no stack trace for that
        return nodeFs.readdirSync(p);
      },
      stat: async (path: string) => {
        await turn();
        return statOrMissing(at(path));
      },
      lstat: async (path: string) => {
        await turn();
        return statOrMissing(at(path), false);
      },
      readlink: async (path: string) => nodeFs.readlinkSync(at(path)),
      writeFile: readOnly,
      unlink: readOnly,
      mkdir: readOnly,
      rmdir: readOnly,
      symlink: readOnly,
      chmod: readOnly,
    },
  };
}

const same = (path: string) => path;

/** For a worker thread (validator, reader), where a blocking read costs less than a round trip. */
export const blockingReads: PromiseFsClient = readCalls(same, false);

/** For the main thread: metadata blocking, with a turn of the event loop every few calls; contents asynchronous. */
export const mainThreadReads: PromiseFsClient = readCalls(same, true);

/**
 * Blocking reads of a quarantine (the objects folder of a push in flight) as if it were the
 * objects folder of a repository: no folder and link to make and remove per push. Gives the
 * gitdir to read (a path that does not exist) and its reads. receive-pack names its quarantine
 * with a `/./` in it, and isomorphic-git normalises the paths it builds, so both sides are
 * normalised; a path outside the view reads as missing (nothing else is ever read through it).
 */
export function quarantineReads(quarantine: string): { gitdir: string; reads: PromiseFsClient } {
  const root = posix.normalize(quarantine);
  const gitdir = `${root}/.ccr-quarantine-view`;
  const objects = `${gitdir}/objects`;
  const reads = readCalls((asked) => {
    const path = posix.normalize(asked);
    if (path === gitdir || path === objects) return root;
    if (path.startsWith(`${objects}/`)) return root + path.slice(objects.length);
    throw NOT_FOUND;
  }, false);
  return { gitdir, reads };
}

/**
 * `reads` with each folder's listing kept once made: isomorphic-git lists a repository's pack
 * folder on every packed read, and a busy record holds a pack per push until its upkeep rolls them
 * up. A kept listing may miss a pack landed since, or name one a repack removed; its reader
 * (git/store.ts) asks whether a listing a read found nothing in is still the folder as it is
 * (`current`), and lists again after a failure. Objects are named by their content, so an old
 * listing can hide an object but never give a wrong one.
 */
export function keptListings(reads: PromiseFsClient): {
  reads: PromiseFsClient;
  /**
   * Whether `used`, a listing of `path` made through `reads`, names what the folder holds now
   * (both failing counts as the same); the folder is listed again, and that listing kept.
   */
  current: (path: string, used: Promise<string[]>) => Promise<boolean>;
  forget: () => void;
  /** Bytes of the names kept (estimated: two a character and a few dozen a name). */
  bytes: () => number;
} {
  const kept = new Map<string, Promise<string[]>>();
  const sizes = new Map<string, number>();
  const list = (path: string) => {
    const made = reads.promises.readdir(path) as Promise<string[]>;
    kept.set(path, made);
    sizes.delete(path);
    made.then(
      (names) =>
        kept.get(path) === made &&
        sizes.set(
          path,
          names.reduce((n, name) => n + 2 * name.length + 32, 0),
        ),
      () => kept.get(path) === made && kept.delete(path), // a failed listing is not kept
    );
    return made;
  };
  const sorted = (listed: Promise<string[]>) =>
    listed.then(
      (names) => [...names].sort().join('/'),
      () => null,
    );
  return {
    reads: { promises: { ...reads.promises, readdir: (path: string) => kept.get(path) ?? list(path) } },
    current: async (path, used) => {
      const [was, now] = await Promise.all([sorted(used), sorted(list(path))]);
      return was === now;
    },
    forget: () => {
      kept.clear();
      sizes.clear();
    },
    bytes: () => [...sizes.values()].reduce((a, b) => a + b, 0),
  };
}
