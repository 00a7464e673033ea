// The file systems isomorphic-git reads objects through (git/store.ts IsoGitSource). A read of one
// object costs isomorphic-git several file calls (is the gitdir a folder, the loose file, the pack
// folder, each pack index), and with Node's promise API each call is four thread-pool round trips
// and a missing file (every packed object is first looked for loose) an Error with a stack trace.
// On a push that was most of the server's main thread (issue 17, docs/benchmarks.md "Reading
// objects"). These make the common calls blocking and cheap, keep large files asynchronous on the
// main thread, and never build a stack trace for a missing file.

import * as nodeFs from 'node:fs';
import type { PromiseFsClient } from 'isomorphic-git';

/** A missing file, as isomorphic-git tests it (by code); made once, so probing costs no stack trace. */
const NOT_FOUND: Error & { code: string } = Object.assign(new Error('no such file or directory'), { code: 'ENOENT' });
/** What a source never does: isomorphic-git is given these only to read objects. */
const readOnly = () => Promise.reject(new Error('an object source does not write'));

/** Files up to this size are read with a blocking call on the main thread (a page or two of a pack index, a loose object). */
const BLOCKING_READ_MAX = 64 * 1024;
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
        const size = statOrMissing(p).size;
        return mainThread && size > BLOCKING_READ_MAX
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

/** For the main thread: small files blocking, a turn of the event loop every few calls, large files asynchronous. */
export const mainThreadReads: PromiseFsClient = readCalls(same, true);

/**
 * Blocking reads of a quarantine (the objects folder of a push in flight) as if it were the
 * objects folder of a repository at `gitdir`, a path that need not exist: no folder and link to
 * make and remove per push.
 */
export function quarantineReads(gitdir: string, quarantine: string): PromiseFsClient {
  const objects = `${gitdir}/objects`;
  return readCalls((path) => {
    if (path === gitdir || path === objects) return quarantine;
    if (path.startsWith(`${objects}/`)) return quarantine + path.slice(objects.length);
    return path;
  }, false);
}
