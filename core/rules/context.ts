// What the rules judge: one commit's changes, already read and parsed by the evaluator.

import type { Commit } from '../objects.js';
import type { RecordId, ThreadId } from '../ids.js';
import type { Ledger } from '../ledger.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { BindingLookup, Principal } from '../principal.js';
import type { CoordinationStatus } from '../status.js';

/** What the rules know besides the contents: the record, and where known the clock and principal. */
export interface RuleContext {
  /** The record judged; '' when it could not be read (a verify walk), which no coordination_id matches. */
  recordId: RecordId | '';
  /** Server time in ms; absent offline, where the clock rules are skipped. */
  now?: number;
  /** The pusher; absent offline and in the library, where the who rules are skipped. */
  principal?: Principal;
  /**
   * Which participant ids are bound to participant principals, as whom (the server's principals);
   * absent offline and in the library, where ledger entries are not checked against them.
   */
  bindings?: BindingLookup;
}

/** How far in the future a timestamp may be against the server clock (SPEC 8). */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * A file of a commit or of its parent, as read: none there, read, or there but unreadable (its
 * problems are reported by their rules). `deleted` is a file after a commit that removes it: the
 * removal is ccr/append-only's to refuse, and every other rule judges the file as it was (`kept`).
 */
export type FileState<T> =
  { state: 'absent' } | { state: 'ok'; value: T } | { state: 'unreadable' } | { state: 'deleted'; kept: T };

/** The value the rules judge of a file: the one read, or for a deleted file the one it was; none otherwise. */
export function judged<T>(file: FileState<T>): T | undefined {
  if (file.state === 'ok') return file.value;
  return file.state === 'deleted' ? file.kept : undefined;
}

/** One thread touched by a commit. */
export interface ThreadChange {
  /** The folder name, a thread id (the change reader skips folders that are not). */
  threadId: ThreadId;
  /** `communications/<thread-id>` */
  path: string;
  created: boolean;
  /** The ledger before the commit (absent for a new thread). */
  oldLedger: FileState<Ledger>;
  /** The ledger after the commit: the old one when the commit leaves it alone. */
  newLedger: FileState<Ledger>;
  ledgerChanged: boolean;
  /** Messages already in the file before the commit, and those it appends. */
  earlier: ParsedMessage[];
  appended: ParsedMessage[];
}

/** Everything one commit changes, as the rules see it. */
export interface CommitChanges {
  commit: Commit;
  createsRecord: boolean;
  /** Status before the commit (absent for the first commit). */
  oldStatus: FileState<CoordinationStatus>;
  /** Status after the commit: the old one when the commit leaves it alone. */
  newStatus: FileState<CoordinationStatus>;
  statusChanged: boolean;
  threads: ThreadChange[];
}
