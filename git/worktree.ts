// Keeping a working copy's files and index in step with `main` after CCR commits, through git's
// own two-tree merge (`read-tree -m -u`), which takes the index lock and refuses to overwrite
// local changes. `.git/ccr-checkout` remembers the commit the files were last brought to, so a
// crash between moving `main` and updating the files is repaired by the next operation. Like git's
// own index, the marker is replaced atomically but not fsynced: after a power loss both may be
// older, and they are older together.

import { promises as fs } from 'node:fs';
import { WorkingCopyConflict } from '../core/errors.js';
import { isOid, type Oid } from '../core/objects.js';
import { MAIN } from './refs.js';
import { runGit, gitEnv } from './run.js';
import type { Repository } from './repository.js';

const MARKER = 'ccr-checkout';

async function readMarker(gitdir: string): Promise<Oid | null> {
  try {
    const v = (await fs.readFile(`${gitdir}/${MARKER}`, 'utf8')).trim();
    return isOid(v) ? v : null;
  } catch {
    return null;
  }
}

/** Bring the files and index from commit `from` to commit `to`; refuses over local changes. */
export async function checkout(repo: Repository, from: Oid | null, to: Oid): Promise<void> {
  if (!repo.worktree) return;
  const args = from ? ['read-tree', '-m', '-u', from, to] : ['read-tree', '-m', '-u', to];
  const r = await runGit(args, {
    cwd: repo.worktree,
    env: gitEnv('/dev/null', { GIT_DIR: repo.gitdir, GIT_WORK_TREE: repo.worktree }),
  });
  if (r.code !== 0) {
    throw new WorkingCopyConflict(
      `the working copy has local changes that conflict with the record; commit nothing by hand in a CCR working copy, and restore the files with \`git checkout -- .\` (${r.stderr.trim().split('\n')[0] ?? ''})`,
      { stderr: r.stderr, committed: to },
    );
  }
  await writeMarker(repo.gitdir, to);
}

async function writeMarker(gitdir: string, oid: Oid): Promise<void> {
  const tmp = `${gitdir}/${MARKER}.tmp-${process.pid}`;
  await fs.writeFile(tmp, `${oid}\n`);
  await fs.rename(tmp, `${gitdir}/${MARKER}`);
}

/** Before an operation: the working copy must be on `main`, and its files at `head`. */
export async function prepareWorktree(repo: Repository, head: Oid | null): Promise<void> {
  if (!repo.worktree) return;
  const symbolic = (await fs.readFile(`${repo.gitdir}/HEAD`, 'utf8').catch(() => '')).trim();
  if (symbolic !== `ref: ${MAIN}`)
    throw new WorkingCopyConflict(`the working copy must have \`main\` checked out, found ${JSON.stringify(symbolic)}`);
  if (!head) return;
  const marker = await readMarker(repo.gitdir);
  if (marker === head) return;
  // No marker: a fresh clone, whose files git itself checked out at head.
  if (marker === null) await writeMarker(repo.gitdir, head);
  else await checkout(repo, marker, head);
}
