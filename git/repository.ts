// A record's repository on disk: bare (the server's) or a working copy with `.git/` (the seed
// layout, and clones). Creation, head, and reading files of a commit.

import { promises as fs } from 'node:fs';
import { MissingObject } from '../core/source.js';
import { isTreeEntry, parseCommit, parseTree, type Oid } from '../core/objects.js';
import { MAIN, readRef } from './refs.js';
import { IsoGitSource } from './store.js';

/** A git repository CCR reads and writes. */
export class Repository {
  readonly source: IsoGitSource;
  /**
   * @param gitdir the git directory (`<id>.git` for a bare repository, `<dir>/.git` otherwise)
   * @param worktree the working tree, for a working copy
   */
  constructor(
    readonly gitdir: string,
    readonly worktree?: string,
  ) {
    this.source = new IsoGitSource(gitdir);
  }

  /** Open a working copy at `dir` (its git directory is `dir/.git`). */
  static workingCopy(dir: string): Repository {
    return new Repository(`${dir}/.git`, dir);
  }

  /** The commit `main` points at, or null before the first commit. */
  head(): Promise<Oid | null> {
    return readRef(this.gitdir, MAIN);
  }

  /** The tree of a commit. */
  async treeOf(commit: Oid): Promise<Oid> {
    const o = await this.source.read(commit);
    const parsed = o && o.type === 'commit' ? parseCommit(o.content) : null;
    if (!parsed) throw new MissingObject(commit);
    return parsed.tree;
  }

  /** The entries of a folder of a commit (empty when it does not exist). */
  async list(commit: Oid, folder: string): Promise<Array<{ name: string; oid: Oid; mode: string }>> {
    let tree: Oid | undefined = await this.treeOf(commit);
    for (const part of folder.split('/').filter(Boolean)) {
      const entries: ReturnType<typeof parseTree> = tree
        ? parseTree((await this.source.read(tree))?.content ?? new Uint8Array())
        : null;
      tree = entries?.find((e) => e.name === part && isTreeEntry(e))?.oid;
    }
    if (!tree) return [];
    return parseTree((await this.source.read(tree))?.content ?? new Uint8Array()) ?? [];
  }

  /** The content of a file of a commit, or null when it does not exist. */
  async readFile(commit: Oid, path: string): Promise<Uint8Array | null> {
    const slash = path.lastIndexOf('/');
    const entry = (await this.list(commit, slash === -1 ? '' : path.slice(0, slash))).find(
      (e) => e.name === path.slice(slash + 1),
    );
    if (!entry || isTreeEntry(entry)) return null;
    return (await this.source.read(entry.oid))?.content ?? null;
  }
}

/** Lay out an empty repository in `gitdir` (no hooks, no samples: a few small files). */
export async function initRepository(gitdir: string, bare: boolean): Promise<void> {
  await fs.mkdir(`${gitdir}/objects`, { recursive: true });
  await fs.mkdir(`${gitdir}/refs/heads`, { recursive: true });
  await fs.writeFile(`${gitdir}/HEAD`, `ref: ${MAIN}\n`);
  const core = bare
    ? '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n'
    : '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n\tautocrlf = false\n';
  await fs.writeFile(`${gitdir}/config`, core);
}
