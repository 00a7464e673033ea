// A reader thread: runs read tasks (server/readTasks.ts) on records, so parsing a large file never
// blocks the server's event loop, and a read past the budget can be stopped by ending the thread.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ObjectSource } from '../core/source.js';
import { RepositoryBudget } from './repositoryBudget.js';
import { IsoGitSource } from '../git/store.js';
import { layered } from '../git/views/store.js';
import { readTasks, type ReadJob } from './readTasks.js';
import { serveJobs } from './workerPool.js';

/** The bytes a reader thread keeps between reads: object readers with their pack caches. */
export const READER_STATE_BYTES = 32 * 1024 * 1024;
/** What an idle reader thread keeps. */
export const READER_IDLE_BYTES = 8 * 1024 * 1024;

/** A repository's reader, and the sources it holds: its own, and the record's when it is a view borrowing them. */
interface Sources {
  read: ObjectSource;
  held: IsoGitSource[];
}

/** Object readers of recently read repositories (their pack indexes stay loaded), within a budget. */
const sources = new RepositoryBudget<Sources>(
  READER_STATE_BYTES,
  32,
  (gitdir) => {
    // A participant's view (git/views) holds its own commits and trees; the rest is the record's.
    const own = new IsoGitSource(gitdir, 2 * 1024 * 1024, true);
    const record = borrowed(gitdir);
    if (!record) return { read: own, held: [own] };
    const base = new IsoGitSource(record, 2 * 1024 * 1024, true);
    return { read: layered(base, own), held: [base, own] };
  },
  (s) => s.held.reduce((n, o) => n + o.bytes, 0),
);

/** The repository a view repository borrows objects from (its one alternate), or null. */
function borrowed(gitdir: string): string | null {
  try {
    const line = readFileSync(`${gitdir}/objects/info/alternates`, 'utf8').split('\n')[0];
    return line ? dirname(resolve(`${gitdir}/objects`, line)) : null;
  } catch {
    return null;
  }
}

serveJobs<ReadJob, unknown>(
  (job) => readTasks[job.task](sources.get(job.gitdir).read, job.oid).finally(() => sources.trim()),
  () => sources.trim(READER_IDLE_BYTES),
);
