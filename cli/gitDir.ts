// The git folder of a working copy; a small module of its own so that commands which only find
// their working copy (push, pull, config) load nothing of the verifier or the service.

import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GitFailure } from '../core/errors.js';
import { git } from '../git/run.js';
import { UsageError } from './args.js';

/** Environment variables that change where git looks for a repository: with any of them set, git is asked. */
const DISCOVERY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM'];

/**
 * The common case found without starting git (issue 17: a git start is ~5 ms of every command):
 * the nearest folder at or above `path` holding a `.git` folder git would take (objects/, refs/,
 * a HEAD that is a symbolic ref or an object id), owned by this user
 * (git refuses another user's repository), none of the folders on the way being a bare repository
 * and all of them on one file system.
 * Anything else (a `.git` file of a worktree or submodule, a bare repository, git's discovery
 * variables, no owner to compare with): undefined, and git itself is asked.
 */
export function findGitDir(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (DISCOVERY_ENV.some((k) => env[k] !== undefined) || typeof process.getuid !== 'function') return undefined;
  try {
    return walkUp(realpathSync(resolve(path)), process.getuid());
  } catch {
    return undefined; // a folder that cannot be read, a link loop, a file on the way: git's to say
  }
}

function walkUp(start: string, uid: number): string | undefined {
  const device = statSync(start).dev;
  for (let dir = start; ; dir = dirname(dir)) {
    const here = statSync(dir);
    // git stops at a file system's boundary (GIT_DISCOVERY_ACROSS_FILESYSTEM): so does this, and asks git.
    if (here.dev !== device) return undefined;
    const dotGit = join(dir, '.git');
    const found = lstatSync(dotGit, { throwIfNoEntry: false });
    if (found) {
      if (!found.isDirectory() || found.uid !== uid || here.uid !== uid) return undefined;
      // What git checks before taking a folder for a repository; anything less and git looks further up.
      return looksLikeRepository(dotGit) ? dotGit : undefined;
    }
    // A folder that is itself a repository (bare): git's rules for those are git's to apply.
    if (
      statSync(join(dir, 'HEAD'), { throwIfNoEntry: false }) &&
      statSync(join(dir, 'objects'), { throwIfNoEntry: false })
    )
      return undefined;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A git folder as git takes one: objects/ and refs/ folders, HEAD a symbolic ref under refs/ or an object id. */
function looksLikeRepository(gitdir: string): boolean {
  if (!statSync(join(gitdir, 'objects')).isDirectory() || !statSync(join(gitdir, 'refs')).isDirectory()) return false;
  const head = readFileSync(join(gitdir, 'HEAD'), 'latin1');
  return /^ref: refs\/\S+\n?$/.test(head) || /^[0-9a-f]{40}\n?$/.test(head);
}

/** The git directory of a clone or bare repository path. */
export async function gitDirOf(path: string): Promise<string> {
  const found = findGitDir(path);
  if (found) return found;
  // Only git's own refusal means "not a repository"; git missing from PATH is said as such (cli/explain.ts).
  const dir = (
    await git(['-C', path, 'rev-parse', '--absolute-git-dir']).catch((e: unknown) => {
      if (e instanceof GitFailure) return '';
      throw e;
    })
  ).trim();
  if (!dir)
    throw new UsageError(
      `${path} is not a git repository, so not a CCR working copy`,
      'run ccr in a clone of a record (ccr clone <server-url> <record-id>), or give the path of one',
    );
  return realpathSync(dir);
}
