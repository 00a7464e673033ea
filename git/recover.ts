// Clearing what a crash leaves in a repository: lock files that would block every later ref
// update, quarantine folders (receive-pack's, the server's landing's), temporary object and pack
// files, sync scratch folders. The server runs this once per repository, on its first use after
// start, while holding the record lock; any writer runs it when it takes over the record lock of a
// process that died holding it.

import { promises as fs } from 'node:fs';

/** Scratch repositories of sync rounds (sync/incoming.ts) inside a record's folder start with this. */
export const SCRATCH_PREFIX = 'ccr-incoming-';

/** Quarantine folders: receive-pack's (git's two spellings) and the server's landing (server/landAhead.ts). */
const QUARANTINES = ['tmp_objdir-incoming-', 'incoming-', 'tmp_objdir-ccr-'];
const LANDING = 'tmp_objdir-ccr-';
/** Longer than a landing can take: its request read, its verdict (10 s budget) and the record lock (10 s wait). */
const LANDING_MAX_MS = 60_000;

/** How long ago a path last changed (Infinity when it is gone). */
async function ageOf(path: string): Promise<number> {
  return fs.stat(path).then(
    (st) => Date.now() - st.mtimeMs,
    () => Infinity,
  );
}

/** A lock younger than this may still belong to a git process of the server that just died. */
const SETTLE_MS = 3000;

async function entries(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

async function locksUnder(dir: string, out: string[]): Promise<void> {
  for (const d of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = `${dir}/${d.name}`;
    if (d.isDirectory()) await locksUnder(path, out);
    else if (d.name.endsWith('.lock')) out.push(path);
  }
}

/** What a crash may have left in `gitdir`, to be removed. */
async function leftovers(gitdir: string): Promise<string[]> {
  const found: string[] = [];
  await locksUnder(`${gitdir}/refs`, found);
  for (const name of ['packed-refs.lock', 'HEAD.lock', 'config.lock', 'shallow.lock', 'index.lock']) {
    if ((await entries(gitdir)).includes(name)) found.push(`${gitdir}/${name}`);
  }
  for (const name of await entries(`${gitdir}/objects`)) {
    const path = `${gitdir}/objects/${name}`;
    if (QUARANTINES.some((q) => name.startsWith(q))) {
      // A landing's quarantine is made before its push takes the record lock: one this young may be live.
      if (!name.startsWith(LANDING) || (await ageOf(path)) > LANDING_MAX_MS) found.push(path);
    } else if (/^[0-9a-f]{2}$/.test(name))
      for (const f of await entries(path)) if (f.startsWith('tmp_obj_')) found.push(`${path}/${f}`);
  }
  for (const f of await entries(`${gitdir}/objects/pack`))
    if (f.startsWith('tmp_')) found.push(`${gitdir}/objects/pack/${f}`);
  for (const f of await entries(gitdir))
    if (f.includes('.tmp-') || f.startsWith(SCRATCH_PREFIX)) found.push(`${gitdir}/${f}`);
  return found;
}

/**
 * Remove crash leftovers from a repository; gives what was removed. Call with the record lock
 * held, before this process starts any git work in the repository. Leftovers only seconds old are
 * given a moment, in case a git process of a killed server is still finishing.
 */
export async function recoverRepository(gitdir: string): Promise<string[]> {
  const found = await leftovers(gitdir);
  if (found.length === 0) return [];
  const ages = await Promise.all(found.map(ageOf));
  const youngest = Math.min(...ages);
  if (youngest < SETTLE_MS) await new Promise((r) => setTimeout(r, SETTLE_MS - youngest));
  const removed: string[] = [];
  for (const path of await leftovers(gitdir)) {
    await fs.rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
