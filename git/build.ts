// Building a commit in memory: new blobs, the trees along their paths, the commit object. Nothing
// is written; the result is judged first and stored only when the rules accept it.

import { putObject as put, readTree, type ObjectSource } from '../core/source.js';
import { formatCommit, formatTree, modes, type Ident, type Oid } from '../core/objects.js';
import type { PendingObject } from './store.js';

/**
 * Signs a commit object: given its unsigned content, gives the content with one `gpgsig` header
 * (git's SSH format). The server passes its site key's; a client its user's (through ssh-keygen).
 */
export type CommitSigner = (unsigned: Uint8Array) => Promise<Uint8Array>;

/** A commit built in memory: its id and every new object it needs. */
export interface BuiltCommit {
  oid: Oid;
  tree: Oid;
  objects: Map<Oid, PendingObject>;
}

/** The tree `base` with files written at slash-separated paths (created or replaced). */
export async function writeFiles(
  source: ObjectSource,
  base: Oid | undefined,
  files: ReadonlyMap<string, Uint8Array>,
  objects: Map<Oid, PendingObject>,
): Promise<Oid> {
  const entries = new Map((await readTree(source, base)).map((e) => [e.name, e]));
  const sub = new Map<string, Map<string, Uint8Array>>();
  for (const [path, content] of files) {
    const slash = path.indexOf('/');
    if (slash === -1) {
      entries.set(path, { mode: modes.file, name: path, oid: put(objects, 'blob', content) });
    } else {
      const dir = path.slice(0, slash);
      if (!sub.has(dir)) sub.set(dir, new Map());
      sub.get(dir)!.set(path.slice(slash + 1), content);
    }
  }
  for (const [dir, inner] of sub) {
    const existing = entries.get(dir);
    const oid = await writeFiles(source, existing?.mode === modes.folder ? existing.oid : undefined, inner, objects);
    entries.set(dir, { mode: modes.folder, name: dir, oid });
  }
  return put(objects, 'tree', formatTree([...entries.values()]));
}

/** Build a commit on `parent` (null for a first commit) that writes `files`. */
export async function buildCommit(
  source: ObjectSource,
  opts: {
    parent: Oid | null;
    parentTree?: Oid;
    files: ReadonlyMap<string, Uint8Array>;
    message: string;
    author: Ident;
    committer?: Ident;
    signer?: CommitSigner;
  },
): Promise<BuiltCommit> {
  const objects = new Map<Oid, PendingObject>();
  const tree = await writeFiles(source, opts.parentTree, opts.files, objects);
  const unsigned = formatCommit({
    tree,
    parents: opts.parent ? [opts.parent] : [],
    author: opts.author,
    committer: opts.committer ?? opts.author,
    message: opts.message,
  });
  const content = opts.signer ? await opts.signer(unsigned) : unsigned;
  return { oid: put(objects, 'commit', content), tree, objects };
}
