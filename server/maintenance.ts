// Keeping a record's storage in proportion to what it holds. Pushes arrive as packs (receive.unpackLimit
// = 1), each carrying one full copy of every file it changed (git completes the client's thin pack),
// and the server's own writes (the JSON API, sync merges) are loose objects, one full copy of each
// file version. So a record whose main moved gets `git gc --auto` a little later, in the background:
// it packs loose objects past gc.auto of them and folds the packs into one, with deltas between
// versions, past gc.autoPackLimit of them (git/config.ts).

import type { RecordId } from '../core/ids.js';
import { runGit } from '../git/run.js';
import type { Logger } from './log.js';

/** Background `git gc --auto` of records written to, each at most once per pause. */
export class Maintenance {
  readonly #due = new Map<RecordId, NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly gitdir: (id: RecordId) => string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly pauseMs = 10_000,
  ) {}

  /** A record's main moved: look at its storage after the pause (writes in a burst share one look). */
  touched(id: RecordId): void {
    if (this.#stopped || this.#due.has(id)) return;
    this.#due.set(
      id,
      setTimeout(() => {
        this.#due.delete(id);
        void this.run(id);
      }, this.pauseMs).unref(),
    );
  }

  /** `git gc --auto` in the record now; git decides whether there is anything to do. */
  async run(id: RecordId): Promise<void> {
    const r = await runGit(['--git-dir', this.gitdir(id), 'gc', '--auto', '--quiet'], { env: this.env });
    if (r.code !== 0) this.log('warn', 'maintenance-failed', { record: id, detail: r.stderr.trim().split('\n').pop() });
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#due.values()) clearTimeout(t);
    this.#due.clear();
  }
}
