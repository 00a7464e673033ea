// What a repository handed to the offline verifier lacks compared with a full clone: a shallow
// clone stops at its `shallow` commits; a partial clone (`--filter`) left objects out and would
// fetch them from its promisor remote the moment git is asked for one. The verifier must never
// touch the network, so it learns up front what is missing (rev-list --missing=print does not
// fetch) and runs git with no transport allowed at all.

import { promises as fs } from 'node:fs';
import { isOid, type Oid } from '../core/objects.js';
import { git, gitEnv, runGit } from './run.js';

/**
 * Environment additions under which git never reaches the network: no transport is allowed
 * (an empty GIT_ALLOW_PROTOCOL), so a lazy fetch fails locally; GIT_NO_LAZY_FETCH says the same
 * to a git new enough to know it (2.44 and later).
 */
export const OFFLINE = { GIT_ALLOW_PROTOCOL: '', GIT_NO_LAZY_FETCH: '1' } as const;

/** The environment of the verifier's git: CCR's own, offline. */
export function offlineEnv(): NodeJS.ProcessEnv {
  return gitEnv('/dev/null', OFFLINE);
}

/** What a repository holds of its history, compared with a full clone. */
export interface CloneShape {
  /** Commits whose parents are not here (a shallow clone's boundary). */
  shallow: Oid[];
  /** A partial clone's promisor remotes and filters, in words (`origin: filter blob:none`); none for a full clone. */
  promisors: string[];
  /** Objects of `ref`'s history this partial clone lacks (left out when it was cloned); never fetched. */
  missing: Set<Oid>;
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await fs.readFile(path, 'utf8')).split('\n').filter(Boolean);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The promisor remotes of a repository, from its configuration and its `.promisor` packs. */
async function promisorsOf(gitdir: string): Promise<string[]> {
  const keys = '^(extensions\\.partialclone|remote\\..*\\.(promisor|partialclonefilter))$';
  const config = await runGit(['--git-dir', gitdir, 'config', '--get-regexp', keys], { env: offlineEnv() });
  const remotes = new Map<string, string>();
  for (const line of config.stdout.toString().split('\n').filter(Boolean)) {
    const [key = '', value = ''] = line.split(/ (.*)/s);
    const remote = /^remote\.(.*)\.(promisor|partialclonefilter)$/.exec(key);
    if (key === 'extensions.partialclone') remotes.set(value, remotes.get(value) ?? '');
    else if (remote && remote[2] === 'promisor' && value === 'true')
      remotes.set(remote[1]!, remotes.get(remote[1]!) ?? '');
    else if (remote && remote[2] === 'partialclonefilter') remotes.set(remote[1]!, `filter ${value}`);
  }
  const packs = await fs.readdir(`${gitdir}/objects/pack`).catch(() => [] as string[]);
  if (remotes.size === 0 && packs.some((p) => p.endsWith('.promisor'))) remotes.set('(unnamed)', 'promisor packs');
  return [...remotes].map(([name, filter]) => (filter ? `${name}: ${filter}` : name));
}

/** Learn, without any network access, what the repository lacks of the history of `ref`. */
export async function cloneShape(gitdir: string, ref: string): Promise<CloneShape> {
  const shallow = (await readLines(`${gitdir}/shallow`)).filter(isOid);
  const promisors = await promisorsOf(gitdir);
  const missing = new Set<Oid>();
  if (promisors.length > 0) {
    // --missing=print makes rev-list list absent objects instead of fetching them.
    const args = ['--git-dir', gitdir, 'rev-list', '--objects', '--no-object-names', '--missing=print', ref];
    const out = await git(args, { env: offlineEnv() });
    for (const line of out.split('\n')) {
      const oid = line.slice(1);
      if (line.startsWith('?') && isOid(oid)) missing.add(oid);
    }
  }
  return { shallow, promisors, missing };
}
