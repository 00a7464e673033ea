// CoordinationService: the library API of SPEC 7–8 in the type-state of the seed. An uninitialised
// service can only `initialise()`; that (or opening an existing record) gives the initialised
// service, whose every write is one commit judged by the same rules the server runs.

import { promises as fs } from 'node:fs';
import { RecordNotFound } from '../core/errors.js';
import type { MessageId, RecordId, ThreadId } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import { STATUS_FILE } from '../core/layout.js';
import { readStatus, type CoordinationStatus } from '../core/status.js';
import type { ThreadStatus } from '../core/vocabulary.js';
import type { CommitSigner } from '../git/build.js';
import { Repository } from '../git/repository.js';
import { addMessage } from './addMessage.js';
import type { MessageContent, ParticipantInput } from './content.js';
import { createThread } from './createThread.js';
import { createRecord } from './initialise.js';
import { listThreads, readThread, type Thread, type ThreadSummary } from './readThread.js';
import { checkRecordId, RecordHandle, recordDir, type CommitAuthor, type ServiceConfig } from './record.js';
import { updateCoordinationStatus, type CoordinationStatusUpdate } from './updateCoordinationStatus.js';
import { updateThreadLedger, type LedgerUpdate } from './updateThreadLedger.js';

/** A service for a record that does not exist yet: it can only be initialised. */
export class UninitialisedCoordinationService {
  constructor(readonly config: ServiceConfig) {}

  /** Create the record (its first commit) and give the initialised service. */
  async initialise(author: CommitAuthor, careLocation: string, clinicalId: string): Promise<CoordinationService> {
    const { handle } = await createRecord({
      path: (id) => recordDir(this.config.dataDir, id),
      bare: false,
      author,
      careLocation,
      clinicalId,
      ...(this.config.clock ? { clock: this.config.clock } : {}),
      ...(this.config.signer ? { signer: this.config.signer } : {}),
    });
    return new CoordinationService(handle);
  }
}

/** A service bound to an existing record. */
export class CoordinationService {
  /** @internal use `new`, `withId` or `at` */
  constructor(readonly record: RecordHandle) {}

  /** An uninitialised service (type-state): only `initialise()` is available. */
  static new(config: ServiceConfig): UninitialisedCoordinationService {
    return new UninitialisedCoordinationService(config);
  }

  /** Open the record `<dataDir>/coordination/<s1>/<s2>/<id>/`. */
  static async withId(config: ServiceConfig, coordinationId: string): Promise<CoordinationService> {
    const id = checkRecordId(coordinationId);
    return CoordinationService.open(
      Repository.workingCopy(recordDir(config.dataDir, id)),
      id,
      config.clock,
      undefined,
      config.signer,
    );
  }

  /**
   * Open the working copy at `dir` (a clone); the record id is read from its status file. With a
   * principal, the rules that need one (who may do what) are judged locally too.
   */
  static async at(
    dir: string,
    clock?: () => number,
    principal?: Principal,
    signer?: CommitSigner,
  ): Promise<CoordinationService> {
    const repo = Repository.workingCopy(dir);
    const head = await repo.head().catch(() => null);
    const bytes = head ? await repo.readFile(head, STATUS_FILE) : null;
    const read = bytes ? readStatus(bytes) : null;
    if (!read?.ok) {
      throw new RecordNotFound(`${dir} is not a CCR working copy (no ${STATUS_FILE} in its last commit)`, {
        hint: 'a CCR working copy is a clone of a record: ccr clone <server-url> <record-id>, then run ccr inside it',
      });
    }
    return CoordinationService.open(repo, read.value.coordination_id, clock, principal, signer);
  }

  /**
   * Open a record in any repository (bare for the server), acting for a principal if given, and
   * signing every commit with `signer` if given (a server passes its site key's).
   */
  static async open(
    repo: Repository,
    id: RecordId,
    clock?: () => number,
    principal?: Principal,
    signer?: CommitSigner,
  ): Promise<CoordinationService> {
    const head = await fs.access(repo.gitdir).then(
      () => repo.head(),
      () => null,
    );
    if (!head) throw new RecordNotFound(`no record ${id}`, { id });
    return new CoordinationService(new RecordHandle(repo, id, clock, principal, undefined, signer));
  }

  /** The record id. */
  get coordinationId(): RecordId {
    return this.record.id;
  }

  /** Create a thread, optionally with a first message; gives the thread id. */
  createThread(
    author: CommitAuthor,
    careLocation: string,
    participants: readonly ParticipantInput[],
    initialMessage?: MessageContent,
  ): Promise<ThreadId> {
    return createThread(this.record, author, careLocation, participants, initialMessage);
  }

  /** Append a message (a correction when `content.corrects` is set); gives the message id. */
  addMessage(
    author: CommitAuthor,
    careLocation: string,
    threadId: string,
    content: MessageContent,
  ): Promise<MessageId> {
    return addMessage(this.record, author, careLocation, threadId, content);
  }

  /** Change participants, status, visibility or policies; adds the system messages required. */
  updateThreadLedger(
    author: CommitAuthor,
    careLocation: string,
    threadId: string,
    update: LedgerUpdate,
  ): Promise<void> {
    return updateThreadLedger(this.record, author, careLocation, threadId, update);
  }

  /** Change the record status. */
  updateCoordinationStatus(
    author: CommitAuthor,
    careLocation: string,
    update: CoordinationStatusUpdate,
  ): Promise<void> {
    return updateCoordinationStatus(this.record, author, careLocation, update);
  }

  /** A thread with its ledger and messages. */
  readThread(threadId: string): Promise<Thread> {
    return readThread(this.record, threadId);
  }

  /** Threads, oldest first; archived ones hidden unless asked for. */
  listThreads(
    filter: { status?: ThreadStatus | ThreadStatus[]; includeArchived?: boolean } = {},
  ): Promise<ThreadSummary[]> {
    return listThreads(this.record, filter);
  }

  /** The record status. */
  async readStatus(): Promise<CoordinationStatus> {
    return this.record.status(await this.record.head());
  }
}
