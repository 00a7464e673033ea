// A reader thread: runs read tasks (server/readTasks.ts) on records, so parsing a large file never
// blocks the server's event loop, and a read past the budget can be stopped by ending the thread.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ObjectSource } from '../core/source.js';
import { IsoGitSource } from '../git/store.js';
import { layered } from '../git/views/store.js';
import { readTasks, type ReadJob } from './readTasks.js';
import { serveJobs } from './workerPool.js';

/** Object readers of recently read repositories (their pack indexes stay loaded). */
const sources = new Map<string, ObjectSource>();

/** The repository a view repository borrows objects from (its one alternate), or null. */
function borrowed(gitdir: string): string | null {
  try {
    const line = readFileSync(`${gitdir}/objects/info/alternates`, 'utf8').split('\n')[0];
    return line ? dirname(resolve(`${gitdir}/objects`, line)) : null;
  } catch {
    return null;
  }
}

function source(gitdir: string): ObjectSource {
  let s = sources.get(gitdir);
  if (s) sources.delete(gitdir);
  else {
    // A participant's view (git/views) holds its own commits and trees; the rest is the record's.
    const own = new IsoGitSource(gitdir, 2 * 1024 * 1024, true);
    const record = borrowed(gitdir);
    s = record ? layered(new IsoGitSource(record, 2 * 1024 * 1024, true), own) : own;
  }
  sources.set(gitdir, s);
  if (sources.size > 32) sources.delete(sources.keys().next().value as string);
  return s;
}

serveJobs<ReadJob, unknown>((job) => readTasks[job.task](source(job.gitdir), job.oid));
