// A record's tree as a plain map of paths to entries, for building hostile and good commits in
// tests: in memory for the rule tests, through git plumbing for the push tests.

import type { ObjectSource, StoredObject } from '../../core/source.js';
import { withLimit } from '../../git/store.js';
import {
  formatCommit,
  formatTree,
  hashObject,
  parseCommit,
  type ObjectType,
  type Oid,
  type TreeEntry,
} from '../../core/objects.js';

/** One file of a snapshot; a submodule's content is the commit id it points at. */
export interface Entry {
  mode: '100644' | '100755' | '120000' | '160000';
  content: Uint8Array;
}

/** An immutable map of paths to entries. */
export class Snapshot {
  constructor(readonly files: ReadonlyMap<string, Entry> = new Map()) {}

  /** A copy with a file written (a string is UTF-8). */
  set(path: string, content: string | Uint8Array, mode: Entry['mode'] = '100644'): Snapshot {
    const files = new Map(this.files);
    files.set(path, { mode, content: typeof content === 'string' ? Buffer.from(content) : content });
    return new Snapshot(files);
  }

  /** A copy without the file (or every file under the folder). */
  delete(path: string): Snapshot {
    return new Snapshot(new Map([...this.files].filter(([p]) => p !== path && !p.startsWith(path + '/'))));
  }

  /** A copy with a file or folder moved. */
  rename(from: string, to: string): Snapshot {
    return new Snapshot(
      new Map(
        [...this.files].map(([p, e]) => [
          p === from ? to : p.startsWith(from + '/') ? to + p.slice(from.length) : p,
          e,
        ]),
      ),
    );
  }

  /** The text of a file. */
  text(path: string): string {
    const e = this.files.get(path);
    if (!e) throw new Error(`no ${path} in snapshot`);
    return Buffer.from(e.content).toString('utf8');
  }

  /** A copy with a text file changed by a function. */
  edit(path: string, fn: (text: string) => string): Snapshot {
    return this.set(path, fn(this.text(path)), this.files.get(path)?.mode);
  }
}

/** Objects of a snapshot, written through `put`; gives the root tree id. */
export function snapshotTree(s: Snapshot, put: (type: ObjectType, content: Uint8Array) => Oid): Oid {
  const build = (prefix: string): Oid => {
    const entries = new Map<string, TreeEntry>();
    for (const [path, e] of s.files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) {
        const oid = e.mode === '160000' ? (Buffer.from(e.content).toString() as Oid) : put('blob', e.content);
        entries.set(rest, { mode: e.mode, name: rest, oid });
      } else if (!entries.has(rest.slice(0, slash))) {
        const name = rest.slice(0, slash);
        entries.set(name, { mode: '40000', name, oid: build(prefix + name + '/') });
      }
    }
    return put('tree', formatTree([...entries.values()]));
  };
  return build('');
}

/** An object store in memory: the rule tests' source. */
export class MemorySource implements ObjectSource {
  readonly objects = new Map<Oid, { type: ObjectType; content: Uint8Array }>();

  put = (type: ObjectType, content: Uint8Array): Oid => {
    const oid = hashObject(type, content);
    this.objects.set(oid, { type, content });
    return oid;
  };

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    const o = this.objects.get(oid);
    return o ? withLimit(o, limit) : null;
  }

  /** The nearest common ancestor of two commits (enough for the histories of the tests). */
  mergeBase = async (a: Oid, b: Oid): Promise<Oid | null> => {
    const parents = (oid: Oid) => parseCommit(this.objects.get(oid)!.content)?.parents ?? [];
    const seen = new Set<Oid>();
    for (let frontier = [a]; frontier.length; frontier = frontier.flatMap(parents))
      frontier.forEach((x) => seen.add(x));
    for (let frontier = [b]; frontier.length; frontier = frontier.flatMap(parents)) {
      const hit = frontier.find((x) => seen.has(x));
      if (hit) return hit;
    }
    return null;
  };

  /** Store a commit of a snapshot. */
  commit(s: Snapshot, parents: Oid[], message: string, time: number): Oid {
    const ident = {
      name: 'CCR Test',
      email: 'test@ccr.invalid',
      timestamp: Math.floor(time / 1000),
      timezone: '+0000',
    };
    return this.put(
      'commit',
      formatCommit({ tree: snapshotTree(s, this.put), parents, author: ident, committer: ident, message }),
    );
  }
}
