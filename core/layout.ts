// The record layout of SPEC 3: the names of a record's files and folders, the modes they have, and
// the paths of a thread's files. Every path into a record is made here, nowhere else.

import { modes, type TreeEntry } from './objects.js';

/** The record status file, at the root of a record. */
export const STATUS_FILE = 'COORDINATION_STATUS.yaml';
/** The folder of threads, at the root of a record. */
export const COMMUNICATIONS = 'communications';
/** The conversation of a thread. */
export const MESSAGES_FILE = 'messages.md';
/** The ledger of a thread. */
export const LEDGER_FILE = 'ledger.yaml';

/** A file of a thread folder. */
export type ThreadFile = typeof LEDGER_FILE | typeof MESSAGES_FILE;
/** The files every thread folder holds, in git's order. */
export const THREAD_FILES: readonly ThreadFile[] = [LEDGER_FILE, MESSAGES_FILE];

/** The mode of every file of a record. */
export const FILE_MODE = modes.file;
/** The mode of every folder of a record. */
export const FOLDER_MODE = modes.folder;

/** True for a tree entry that is a folder. */
export function isFolder(e: Pick<TreeEntry, 'mode'>): boolean {
  return e.mode === FOLDER_MODE;
}

/** True for a tree entry that is a plain file (not a folder, link, submodule or executable). */
export function isFile(e: Pick<TreeEntry, 'mode'>): boolean {
  return e.mode === FILE_MODE;
}

/** The folder of a thread: `communications/<thread-id>`. */
export function threadFolder(threadId: string): string {
  return `${COMMUNICATIONS}/${threadId}`;
}

/** The path of a thread's file: `communications/<thread-id>/<file>`. */
export function threadFilePath(threadId: string, file: ThreadFile): string {
  return `${threadFolder(threadId)}/${file}`;
}

/** A path inside a folder of the record (`folder` empty for the root). */
export function within(folder: string, name: string): string {
  return folder ? `${folder}/${name}` : name;
}
