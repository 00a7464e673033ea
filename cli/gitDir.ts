// The git folder of a working copy, asked of git itself; a small module of its own so that commands
// which only find their working copy (push, pull, config) load nothing of the verifier or the service.

import { realpathSync } from 'node:fs';
import { GitFailure } from '../core/errors.js';
import { git } from '../git/run.js';
import { UsageError } from './args.js';

/** The git directory of a clone or bare repository path. */
export async function gitDirOf(path: string): Promise<string> {
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
