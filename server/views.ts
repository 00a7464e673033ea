// Participant views as the server serves them (SPEC 12): a participant principal's git reads,
// pushes and JSON reads go to its view repository (git/views), brought up to `main` just before,
// under that view's own lock, so other readers never wait for it. Those who read `main` whole get
// null and keep using the record itself.

import type { RecordId } from '../core/ids.js';
import type { Oid } from '../core/objects.js';
import type { Principal } from '../core/principal.js';
import { isViewKey, readerFor, type ViewReader } from '../core/views/reader.js';
import { ViewStore } from '../git/views/store.js';
import { COMMUNICATIONS } from '../core/layout.js';
import { MAIN, readRef } from '../git/refs.js';
import { runGit } from '../git/run.js';

/** A principal's view of a record, as of its last update. */
export interface ServedView {
  reader: ViewReader;
  /** The view repository. */
  dir: string;
  /** The view of `main` (null for a record without commits), and that `main`. */
  tip: Oid | null;
  main: Oid | null;
}

/** The view repositories of a server's records. */
export class ServerViews {
  readonly store: ViewStore;

  /** @param data the data folder (records under `coordination/`, views under `views/`) */
  constructor(data: string) {
    this.store = new ViewStore(data);
  }

  /** The view a principal reads a record through, up to date with `main`; null when it reads `main` whole. */
  async of(p: Principal, id: RecordId): Promise<ServedView | null> {
    const reader = readerFor(p);
    if (!reader) return null;
    const u = await this.store.update(id, reader);
    return { reader, dir: this.store.viewDir(id, reader.key), tip: u.view, main: u.main };
  }

  /**
   * True when the principal's view repository of the record exists and its tip holds a thread: it
   * took part in some thread of `main`'s history and read the record then. Only what is on disk is
   * read, so naming a record builds nothing (an outsider probing ids cannot make view repositories).
   */
  async heldBefore(p: Principal, id: RecordId): Promise<boolean> {
    const reader = readerFor(p);
    if (!reader || !isViewKey(reader.key)) return false;
    const dir = this.store.viewDir(id, reader.key);
    const tip = await readRef(dir, MAIN).catch(() => null);
    if (!tip) return false;
    const listed = await runGit(['--git-dir', dir, 'ls-tree', '-d', `${tip}:${COMMUNICATIONS}`]);
    return listed.code === 0 && listed.stdout.toString().trim() !== '';
  }
}
