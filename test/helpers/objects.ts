// Hand-made git objects for the malformed-object tests: trees and commits written byte for byte
// with `git hash-object --literally`, so that nothing sorts, pads or checks them on the way in.

import { gitOk } from './git.js';

/** One tree entry as written: mode, name and object id, in the order given. */
export type RawEntry = [mode: string, name: string, oid: string];

/** The bytes of a tree holding exactly these entries, unsorted and unchecked. */
export function rawTree(entries: readonly RawEntry[]): Buffer {
  return Buffer.concat(
    entries.flatMap(([mode, name, oid]) => [Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]),
  );
}

/** Write an object of any shape into a repository; gives its id. */
export async function writeRaw(
  gitdir: string,
  type: 'tree' | 'commit' | 'blob',
  content: Buffer | string,
): Promise<string> {
  return (
    await gitOk(gitdir, ['--git-dir', gitdir, 'hash-object', '-t', type, '-w', '--literally', '--stdin'], {
      input: content,
    })
  ).trim();
}

/** The entries of a tree (`<commit>:<path>` or a tree id) as git lists them. */
export async function lsTree(gitdir: string, treeish: string): Promise<RawEntry[]> {
  const out = await gitOk(gitdir, ['--git-dir', gitdir, 'ls-tree', '-z', treeish]);
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = line.split('\t') as [string, string];
      const [mode, , oid] = meta.split(' ') as [string, string, string];
      return [mode === '040000' ? '40000' : mode, name, oid];
    });
}

/** The raw content of a commit object. */
export async function catCommit(gitdir: string, oid: string): Promise<string> {
  return gitOk(gitdir, ['--git-dir', gitdir, 'cat-file', 'commit', oid]);
}

/** The content of a blob, as text. */
export async function catBlob(gitdir: string, oid: string): Promise<string> {
  return gitOk(gitdir, ['--git-dir', gitdir, 'cat-file', 'blob', oid]);
}

/**
 * A copy of `commit` whose thread folder `<folder>` (under `communications/`) holds exactly
 * `entries`; the folders above it are rewritten by hand too, keeping their other entries.
 * `root` may change the root's entries (after the new communications folder is in them).
 */
export async function withThreadTree(
  gitdir: string,
  commit: string,
  folder: string,
  entries: RawEntry[],
  root: (e: RawEntry[]) => RawEntry[] = (e) => e,
): Promise<string> {
  const thread = await writeRaw(gitdir, 'tree', rawTree(entries));
  const comms = (await lsTree(gitdir, `${commit}:communications`)).map((e): RawEntry =>
    e[1] === folder ? [e[0], e[1], thread] : e,
  );
  const commsOid = await writeRaw(gitdir, 'tree', rawTree(comms));
  const top = (await lsTree(gitdir, `${commit}^{tree}`)).map((e): RawEntry =>
    e[1] === 'communications' ? [e[0], e[1], commsOid] : e,
  );
  const tree = await writeRaw(gitdir, 'tree', rawTree(root(top)));
  const original = await catCommit(gitdir, commit);
  return writeRaw(gitdir, 'commit', original.replace(/^tree [0-9a-f]{40}\n/, `tree ${tree}\n`));
}
