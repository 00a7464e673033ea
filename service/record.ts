// A record as the service operations see it: its repository, id and clock, and reads of its
// files at a given commit.

import { InvalidInput, RecordNotFound, ThreadNotFound } from '../core/errors.js';
import { EvaluationCache } from '../core/evaluate.js';
import {
  formatTimestamp,
  isRecordId,
  parseTimestamp,
  processTimestamps,
  shardPath,
  type RecordId,
  type Timestamp,
} from '../core/ids.js';
import { readLedger, type Ledger } from '../core/ledger.js';
import { CLOCK_SKEW_MS } from '../core/rules/context.js';
import { parseMessages, type ParsedMessage } from '../core/messages/grammar.js';
import type { Oid } from '../core/objects.js';
import type { BindingLookup, Principal } from '../core/principal.js';
import { COMMUNICATIONS, LEDGER_FILE, MESSAGES_FILE, STATUS_FILE, isFolder, threadFilePath } from '../core/layout.js';
import { readStatus, type CoordinationStatus } from '../core/status.js';
import { decodeUtf8, encodeUtf8 } from '../core/text.js';
import type { Repository } from '../git/repository.js';
import type { CommitSigner } from '../git/build.js';
import { writeCommit, type Change, type Written } from '../git/writer.js';

/** Where records live and how time is read. */
export interface ServiceConfig {
  /** Records are kept under `<dataDir>/coordination/<s1>/<s2>/<id>/`. */
  dataDir: string;
  /** The clock in ms since the epoch (tests pass their own). */
  clock?: () => number;
  /** Signs every commit the service writes (`sshKeygenSigner`, a server's site key); unsigned without it. */
  signer?: CommitSigner;
}

/** A commit's author: a person or system, as git records it. */
export interface CommitAuthor {
  name: string;
  email: string;
}

/** The working copy folder of a record under a data folder (seed layout). */
export function recordDir(dataDir: string, id: RecordId): string {
  const [s1, s2] = shardPath(id);
  return `${dataDir}/coordination/${s1}/${s2}/${id}`;
}

/** Validate a commit author; git identities have no `<`, `>` or line breaks. */
export function checkAuthor(author: CommitAuthor): void {
  const bad = (s: unknown) => typeof s !== 'string' || s.trim() === '' || /[<>\n\r\0]/.test(s);
  if (!author || bad(author.name) || bad(author.email))
    throw new InvalidInput('expected a commit author { name, email } without <, > or line breaks');
}

/**
 * A record opened by the service: repository, id, clock, and on a server the principal acting and
 * the participant ids bound to principals (judged by the same rules as a push); with a signer,
 * every commit written through it is signed.
 */
export class RecordHandle {
  readonly cache = new EvaluationCache(256);
  constructor(
    readonly repo: Repository,
    readonly id: RecordId,
    readonly clock: () => number = Date.now,
    readonly principal?: Principal,
    readonly bindings?: BindingLookup,
    readonly signer?: CommitSigner,
  ) {}

  /** The time for a new entry: the clock, kept strictly increasing within the process. */
  now(): number {
    const t = this.clock();
    return this.clock === Date.now ? processTimestamps.nextTime() : t;
  }

  /** Write one commit with the record's rule context. */
  write<T>(author: CommitAuthor, prepare: (head: Oid | null) => Promise<Change<T>>): Promise<Written<T>> {
    checkAuthor(author);
    const now = this.now();
    return writeCommit(
      this.repo,
      {
        author,
        now: () => now,
        context: {
          recordId: this.id,
          now,
          ...(this.principal ? { principal: this.principal } : {}),
          ...(this.bindings ? { bindings: this.bindings } : {}),
        },
        cache: this.cache,
        ...(this.signer ? { signer: this.signer } : {}),
      },
      prepare,
    );
  }

  /** The current head, or RecordNotFound for a record without commits. */
  async head(): Promise<Oid> {
    const head = await this.repo.head();
    if (!head) throw new RecordNotFound(`record ${this.id} has no commits`);
    return head;
  }

  /** The record status at a commit. */
  async status(at: Oid): Promise<CoordinationStatus> {
    const bytes = await this.repo.readFile(at, STATUS_FILE);
    const read = bytes ? readStatus(bytes) : null;
    if (!read?.ok) throw new RecordNotFound(`record ${this.id} has no readable ${STATUS_FILE}`);
    return read.value;
  }

  /** The thread ids at a commit, oldest first. */
  async threadIds(at: Oid): Promise<string[]> {
    return (await this.repo.list(at, COMMUNICATIONS))
      .filter(isFolder)
      .map((e) => e.name)
      .sort();
  }

  /** A thread's ledger at a commit; ThreadNotFound when there is no such thread. */
  async ledger(at: Oid, threadId: string): Promise<Ledger> {
    const bytes = await this.repo.readFile(at, threadFilePath(threadId, LEDGER_FILE));
    const read = bytes ? readLedger(bytes) : null;
    if (!read?.ok) throw new ThreadNotFound(`no thread ${threadId} in record ${this.id}`, { threadId });
    return read.value;
  }

  /** A thread's messages.md at a commit, as text. */
  async messagesText(at: Oid, threadId: string): Promise<string> {
    const bytes = await this.repo.readFile(at, threadFilePath(threadId, MESSAGES_FILE));
    if (!bytes) throw new ThreadNotFound(`no thread ${threadId} in record ${this.id}`, { threadId });
    return decodeUtf8(bytes) ?? '';
  }

  /** A thread's messages at a commit (the file is trusted: it passed the rules when written). */
  async messages(at: Oid, threadId: string): Promise<ParsedMessage[]> {
    return parseMessages(await this.messagesText(at, threadId)).messages;
  }
}

/**
 * The time of a new entry in a thread: never before its last update, so timestamps only grow;
 * but a last_updated_at already beyond the clock's bound (accepted before the rules bounded it)
 * is not followed, or no entry could ever be written again: the entry takes the clock's time.
 */
export function entryTime(now: number, ledger: Ledger): Timestamp {
  const last = parseTimestamp(ledger.last_updated_at) ?? 0;
  return formatTimestamp(last > now + CLOCK_SKEW_MS ? now : Math.max(now, last));
}

/** The ledger after an entry at `time`: last_updated_at moved to it, never back. */
export function touched(ledger: Ledger, time: Timestamp): Ledger {
  return (parseTimestamp(time) ?? 0) > (parseTimestamp(ledger.last_updated_at) ?? 0)
    ? { ...ledger, last_updated_at: time }
    : ledger;
}

/** Files of a change, encoded. */
export function files(entries: Record<string, string>): Map<string, Uint8Array> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, encodeUtf8(v)]));
}

/** Validate a record id from outside. */
export function checkRecordId(id: unknown): RecordId {
  if (!isRecordId(id))
    throw new InvalidInput(`expected a record id in canonical UUID form, found ${JSON.stringify(id)}`);
  return id;
}
