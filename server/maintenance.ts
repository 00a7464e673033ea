// Keeping a record's storage in proportion to what it holds, at a cost in proportion to what
// arrived. Pushes arrive as packs (receive.unpackLimit = 1), each carrying one full copy of every
// file it changed (git completes the client's thin pack), and the server's own writes (the JSON
// API, sync merges) are loose objects, one full copy of each file version. So a record whose main
// moved is looked at a little later, in the background, one record at a time:
// - Past 8 packs, or about 1,000 loose objects (counted in one of the 256 folders, as git's gc
//   --auto does), `git repack -d --geometric=2` rolls the loose objects and the newest packs up
//   into one pack, until each pack holds at least twice the objects of the next smaller one. Only
//   what arrived since is read and written (the large, old packs are left as they are).
// - Once a day per record, a full `git gc --cruft`: one pack with deltas between all file versions,
//   a bitmap for clones, and objects nothing references (a refused view push's) in a cruft pack
//   that keeps their times, pruned after git's two weeks. The record's `ccr-gc` file says when the
//   last one ran (a new record's first comes a day after it was made).
// git's own automatic gc is off (gc.auto = 0, git/config.ts): past gc.autoPackLimit packs it
// folds them all into one, work in proportion to the record's whole history every few pushes.

import { promises as fs } from 'node:fs';
import type { RecordId } from '../core/ids.js';
import { runGit } from '../git/run.js';
import type { Logger } from './log.js';

/** How long a maintenance run may take before it is stopped (git cleans up what it left next time). */
const RUN_LIMIT_MS = 30 * 60_000;
/** A roll-up is due past this many packs, or past this many loose objects in objects/17 (×256). */
const ROLL_UP_PACKS = 8;
const ROLL_UP_LOOSE_IN_17 = Math.ceil(1000 / 256);

/** Whether a record has packs (not counting kept ones) or loose objects enough to roll up, as gc --auto counts them. */
async function rollUpDue(gitdir: string): Promise<boolean> {
  const names = (dir: string) => fs.readdir(`${gitdir}/objects/${dir}`).catch((): string[] => []);
  const files = new Set(await names('pack'));
  const packs = [...files].filter((f) => f.endsWith('.pack') && !files.has(`${f.slice(0, -5)}.keep`)).length;
  const loose = (await names('17')).filter((f) => /^[0-9a-f]{38}$/.test(f)).length;
  return packs > ROLL_UP_PACKS || loose > ROLL_UP_LOOSE_IN_17;
}

/** Background storage upkeep of records written to: each at most once per pause, one at a time. */
export class Maintenance {
  /** Records to look at: waiting for their pause (a timer), or in the queue (null) until their run starts. */
  readonly #due = new Map<RecordId, NodeJS.Timeout | null>();
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly gitdir: (id: RecordId) => string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly pauseMs = 10_000,
    private readonly fullEveryMs = 24 * 3600_000,
  ) {}

  /** A record's main moved: look at its storage after the pause (writes in a burst share one look). */
  touched(id: RecordId): void {
    if (this.#stopped || this.#due.has(id)) return;
    this.#due.set(
      id,
      setTimeout(() => {
        this.#due.set(id, null);
        // One run at a time: a burst of records never takes every core from the pushes.
        this.#queue = this.#queue
          .then(() => {
            this.#due.delete(id);
            return this.#stopped ? undefined : this.run(id);
          })
          .catch((e: unknown) => this.log('warn', 'maintenance-failed', { record: id, error: e }));
      }, this.pauseMs).unref(),
    );
  }

  /** Look at a record's storage now: the full gc when the last is a day old, else a roll-up if one is due. */
  async run(id: RecordId): Promise<void> {
    const gitdir = this.gitdir(id);
    const stamp = `${gitdir}/ccr-gc`;
    // The last full gc, else the record's creation (its HEAD is written once, by git init): a new
    // record has little to fold, and its first full gc comes a day after it was made.
    const mtime = (path: string) => fs.stat(path).then((s) => s.mtimeMs);
    const last = await mtime(stamp).catch(() => mtime(`${gitdir}/HEAD`).catch(() => 0));
    const now = Date.now();
    // A stamp well ahead of the clock (the clock was set back) is due too.
    const full = now - last >= this.fullEveryMs || last > now + 60_000;
    if (!full && !(await rollUpDue(gitdir))) return;
    // --cruft: what nothing references goes into a cruft pack that keeps each object's own time, so
    // a roll-up (which packs loose objects anew) does not restart its two weeks before the prune.
    const args = full ? ['gc', '--quiet', '--cruft'] : ['repack', '-d', '-q', '--geometric=2'];
    const r = await runGit(['--git-dir', gitdir, ...args], { env: this.env, timeoutMs: RUN_LIMIT_MS });
    if (r.code !== 0)
      this.log('warn', 'maintenance-failed', { record: id, full, detail: r.stderr.trim().split('\n').pop() });
    // Stamped whether it worked or not: a failing full gc (a full disk, a lock a killed one left)
    // is tried again a day later, not after every write.
    if (full)
      await fs
        .writeFile(stamp, `${new Date(now).toISOString()}\n`)
        .catch((e: unknown) => this.log('warn', 'maintenance-failed', { record: id, stamp, error: e }));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#due.values()) if (t) clearTimeout(t);
    this.#due.clear();
  }
}
