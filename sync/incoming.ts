// What a peer sends is kept aside until it is judged: a scratch bare repository inside the
// record's folder that borrows the record's objects (objects/info/alternates, so negotiation costs
// what is new), a fetch into it that is killed past a size cap, and only when the round accepts the
// peer's commits are their objects moved into the record. The scratch folder is removed either
// way, and by git/recover.ts after a crash; a refused commit is never kept reachable, or kept.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isOid, parseOid, type Oid } from '../core/objects.js';
import { syncDir } from '../git/fsutil.js';
import { SCRATCH_PREFIX } from '../git/recover.js';
import { runGit, type GitResult, type RunOptions } from '../git/run.js';

const INCOMING = 'refs/ccr/incoming';
/** How often the size of a fetch in progress is looked at (ms). */
const WATCH_MS = 20;

/** How a fetch into the scratch repository ended. */
export type Fetched = (GitResult & { tooLarge?: false }) | { tooLarge: true; bytes: number };

/** Bytes of the files under a folder (missing files count nothing: git renames as it goes). */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const d of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = `${dir}/${d.name}`;
    if (d.isDirectory()) total += await bytesUnder(path);
    else
      total += await fs.stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/** A scratch repository for one round with one peer. */
export class Scratch {
  private constructor(
    readonly gitdir: string,
    readonly record: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Make the scratch repository; `haves` (commits of the record) are offered to the peer in negotiation. */
  static async open(
    record: string,
    peer: string,
    env: NodeJS.ProcessEnv,
    haves: Array<string | null>,
  ): Promise<Scratch> {
    const gitdir = `${record}/${SCRATCH_PREFIX}${peer}-${randomBytes(4).toString('hex')}`;
    const scratch = new Scratch(gitdir, record, env);
    try {
      // What `git init --bare` makes, written here: a round should not pay a process for it.
      await fs.mkdir(gitdir);
      for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/ccr/have'])
        await fs.mkdir(`${gitdir}/${d}`, { recursive: true });
      await fs.writeFile(`${gitdir}/HEAD`, 'ref: refs/heads/main\n');
      await fs.writeFile(`${gitdir}/config`, '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
      await fs.writeFile(`${gitdir}/objects/info/alternates`, `${record}/objects\n`);
      for (const [i, oid] of haves.entries()) if (oid) await fs.writeFile(`${gitdir}/refs/ccr/have/${i}`, `${oid}\n`);
    } catch (e) {
      await scratch.remove();
      throw e;
    }
    return scratch;
  }

  /**
   * Fetch the peer's `main` (git arguments before `fetch` come in `gitArgs`: credentials). Packs
   * are always kept (never exploded into loose objects), and the fetch is killed with its children
   * once the scratch folder holds more than `maxBytes`.
   */
  async fetch(gitArgs: string[], url: string, maxBytes: number, opts: RunOptions): Promise<Fetched> {
    const stop = new AbortController();
    let bytes = 0;
    let watching = true;
    const watch = async () => {
      while (watching) {
        bytes = await bytesUnder(`${this.gitdir}/objects`);
        if (bytes > maxBytes) return stop.abort();
        await new Promise((r) => setTimeout(r, WATCH_MS));
      }
    };
    const watcher = watch();
    const args = [
      '-c',
      'fetch.unpackLimit=1',
      '-c',
      'transfer.unpackLimit=1',
      ...gitArgs,
      '--git-dir',
      this.gitdir,
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      url,
      `+refs/heads/main:${INCOMING}`,
    ];
    const r = await runGit(args, {
      ...opts,
      signal: opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal,
    });
    watching = false;
    await watcher;
    if (stop.signal.aborted) return { tooLarge: true, bytes };
    bytes = await bytesUnder(`${this.gitdir}/objects`);
    return bytes > maxBytes ? { tooLarge: true, bytes } : r;
  }

  /** The peer's `main` as fetched, or null. */
  async tip(): Promise<Oid | null> {
    const text = await fs.readFile(`${this.gitdir}/${INCOMING}`, 'utf8').catch(() => null);
    if (text !== null) return parseOid(text.trim());
    const r = await runGit(['--git-dir', this.gitdir, 'rev-parse', '--verify', '--quiet', INCOMING], { env: this.env });
    const out = r.stdout.toString().trim();
    return r.code === 0 && isOid(out) ? out : null;
  }

  /**
   * Move what the fetch brought into the record: each pack (its index last, since git finds packs
   * by their index) and any loose object, then sync the folders. Objects are content-addressed, so
   * one the record already has is simply left out.
   */
  async adopt(): Promise<void> {
    const from = `${this.gitdir}/objects`;
    const to = `${this.record}/objects`;
    const packs = (await fs.readdir(`${from}/pack`).catch(() => []))
      .filter((f) => /^pack-[0-9a-f]+\.idx$/.test(f))
      .map((f) => f.slice(0, -4));
    if (packs.length > 0) await fs.mkdir(`${to}/pack`, { recursive: true });
    for (const pack of packs) {
      const parts = (await fs.readdir(`${from}/pack`)).filter(
        (f) => f.startsWith(`${pack}.`) && !f.endsWith('.idx') && !f.endsWith('.keep'),
      );
      for (const f of [...parts, `${pack}.idx`]) await fs.rename(`${from}/pack/${f}`, `${to}/pack/${f}`);
    }
    const touched = new Set<string>(packs.length > 0 ? [`${to}/pack`] : []);
    for (const dir of await fs.readdir(from).catch(() => [])) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const f of await fs.readdir(`${from}/${dir}`)) {
        if (!/^[0-9a-f]{38}$/.test(f)) continue;
        await fs.mkdir(`${to}/${dir}`, { recursive: true });
        await fs.rename(`${from}/${dir}/${f}`, `${to}/${dir}/${f}`);
        touched.add(`${to}/${dir}`);
      }
    }
    await Promise.all([...touched].map(syncDir));
  }

  /** Remove the scratch repository and everything in it. */
  async remove(): Promise<void> {
    await fs.rm(this.gitdir, { recursive: true, force: true });
  }
}
