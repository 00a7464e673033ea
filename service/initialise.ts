// Create a record: a new repository with COORDINATION_STATUS.yaml as its first commit, built in a
// temporary folder and renamed into place, so a failure or crash never leaves a half-made record
// (nor, with a staging folder outside the shards, an empty shard folder).

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { Conflict, InvalidInput, RecordExists } from '../core/errors.js';
import { newUuid, parseRecordId, parseUuid, type RecordId } from '../core/ids.js';
import { careLocationProblem, renderCommitMessage, subjects } from '../core/commitMessage.js';
import type { BindingLookup, Principal } from '../core/principal.js';
import { STATUS_FILE } from '../core/layout.js';
import { initialStatus, renderStatus } from '../core/status.js';
import { exists, syncDir, syncTree } from '../git/fsutil.js';
import type { CommitSigner } from '../git/build.js';
import { givenSignature } from '../git/signers.js';
import { Repository, initRepository } from '../git/repository.js';
import { files, RecordHandle, type CommitAuthor } from './record.js';

/** Validate a care location from outside. */
export function checkCareLocation(careLocation: unknown): string {
  const problem =
    typeof careLocation === 'string' ? careLocationProblem(careLocation) : 'expected a care location string';
  if (problem) throw new InvalidInput(problem);
  return careLocation as string;
}

/** Staging folders of creations a crash interrupted (older than ten minutes) are removed. */
async function removeStaleStaging(shard: string): Promise<void> {
  for (const name of await fs.readdir(shard).catch(() => [])) {
    if (!name.startsWith('.tmp-')) continue;
    const st = await fs.stat(`${shard}/${name}`).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 10 * 60 * 1000)
      await fs.rm(`${shard}/${name}`, { recursive: true, force: true });
  }
}

/** Where and how to create a record. */
export interface CreateRecordOptions {
  /** Final folder of the record: a working copy folder, or a bare `<id>.git` folder. */
  path: (id: RecordId) => string;
  bare: boolean;
  author: CommitAuthor;
  careLocation: string;
  clinicalId: string;
  /** A given record id (a peer site's record), checked here; a new random one otherwise. */
  id?: string;
  clock?: () => number;
  principal?: Principal;
  /** Participant ids bound to principals (a server's), for the rules. */
  bindings?: BindingLookup;
  /** The first commit must come out with this id (a peer's record re-created here), or nothing is created. */
  expectCommit?: string;
  /** Signs every commit written (the first, and those of `then`). */
  signer?: CommitSigner;
  /**
   * The first commit's signature as given (a peer's record re-created here: its signature is
   * part of its bytes); used instead of `signer` for that commit.
   */
  rootSignature?: string;
  /**
   * Where the record is built before it is renamed into place (same file system); by default the
   * final folder's parent. A server gives its records root, so the shard folders are made only
   * when the record is complete.
   */
  staging?: string;
}

/**
 * Create a record and give its handle. `then` runs on the record before it is moved into place
 * (a first thread, say): the record appears with all of it, or not at all.
 */
export async function createRecord<T = undefined>(
  opts: CreateRecordOptions,
  then?: (staging: RecordHandle) => Promise<T>,
): Promise<{ handle: RecordHandle; commit: string; then?: T }> {
  checkCareLocation(opts.careLocation);
  const clinicalId = parseUuid(opts.clinicalId);
  if (clinicalId === null)
    throw new InvalidInput(`expected a clinical id in canonical UUID form, found ${JSON.stringify(opts.clinicalId)}`);
  const given = opts.id === undefined ? undefined : parseRecordId(opts.id);
  if (given === null)
    throw new InvalidInput(`expected a record id in canonical UUID form, found ${JSON.stringify(opts.id)}`);
  const id = given ?? newUuid();
  const final = opts.path(id);
  if (await exists(final)) throw new RecordExists(`record ${id} already exists`, { id });
  const stagingDir = opts.staging ?? dirname(final);
  const madeStaging = await fs.mkdir(stagingDir, { recursive: true });
  await removeStaleStaging(stagingDir);
  const tmp = `${stagingDir}/.tmp-${id}-${randomBytes(4).toString('hex')}`;
  try {
    const gitdir = opts.bare ? tmp : `${tmp}/.git`;
    await initRepository(gitdir, opts.bare);
    const stagingRepo = opts.bare ? new Repository(tmp) : Repository.workingCopy(tmp);
    const first = opts.rootSignature !== undefined ? givenSignature(opts.rootSignature) : opts.signer;
    const written = await new RecordHandle(stagingRepo, id, opts.clock, opts.principal, opts.bindings, first).write(
      opts.author,
      async () => ({
        files: files({ [STATUS_FILE]: renderStatus(initialStatus(id, clinicalId)) }),
        message: renderCommitMessage(subjects.createRecord, opts.careLocation),
        result: null,
      }),
    );
    if (opts.expectCommit !== undefined && written.commit !== opts.expectCommit) {
      throw new Conflict(
        `the first commit came out as ${written.commit}, not ${opts.expectCommit}: the record cannot be re-created byte for byte`,
        { expected: opts.expectCommit, found: written.commit },
      );
    }
    const staging = new RecordHandle(stagingRepo, id, opts.clock, opts.principal, opts.bindings, opts.signer);
    const extra = then ? await then(staging) : undefined;
    // Everything written in the staging folder (HEAD, config, refs, objects) is on disk before the
    // rename shows the record: a crash never leaves a record with a file missing or empty.
    await syncTree(tmp);
    // A rename never replaces a non-empty folder, so a concurrent creation of the same id loses.
    let madeShards: string | undefined;
    try {
      madeShards = await fs.mkdir(dirname(final), { recursive: true });
      await fs.rename(tmp, final);
    } catch (e) {
      if (['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? ''))
        throw new RecordExists(`record ${id} already exists`, { id });
      throw e;
    }
    await syncDir(dirname(final));
    if (opts.staging !== undefined) await syncDir(opts.staging);
    // Shard folders made for this record are entries of their parents too.
    const madeFolder = opts.staging === undefined ? madeStaging : madeShards;
    if (madeFolder) {
      for (let folder = dirname(final); folder.length >= madeFolder.length; folder = dirname(folder))
        await syncDir(dirname(folder));
    }
    const repo = opts.bare ? new Repository(final) : Repository.workingCopy(final);
    const handle = new RecordHandle(repo, id, opts.clock, opts.principal, opts.bindings, opts.signer);
    return { handle, commit: written.commit, ...(then ? { then: extra as T } : {}) };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
