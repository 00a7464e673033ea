// A reader thread: runs read tasks (server/readTasks.ts) on records, so parsing a large file never
// blocks the server's event loop, and a read past the budget can be stopped by ending the thread.

import { IsoGitSource } from '../git/store.js';
import { readTasks, type ReadJob } from './readTasks.js';
import { serveJobs } from './workerPool.js';

/** Object readers of recently read repositories (their pack indexes stay loaded). */
const sources = new Map<string, IsoGitSource>();

function source(gitdir: string): IsoGitSource {
  let s = sources.get(gitdir);
  if (s) sources.delete(gitdir);
  else s = new IsoGitSource(gitdir, 2 * 1024 * 1024, true);
  sources.set(gitdir, s);
  if (sources.size > 32) sources.delete(sources.keys().next().value as string);
  return s;
}

serveJobs<ReadJob, unknown>((job) => readTasks[job.task](source(job.gitdir), job.oid));
