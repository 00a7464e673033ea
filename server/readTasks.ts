// What the reader threads compute: pure functions of one object of a record (its id and an
// object source), so a result is the same wherever the object is and can be cached by its id.
// Add a task here for a new read endpoint (threads and messages as JSON, a rendered view).

import { readLedger, type Ledger } from '../core/ledger.js';
import { parseMessages, plainMessage, type Message } from '../core/messages/grammar.js';
import type { Oid } from '../core/objects.js';
import { COMMUNICATIONS, LEDGER_FILE, MESSAGES_FILE, STATUS_FILE, isFolder } from '../core/layout.js';
import { readCommit, readTree, type ObjectSource } from '../core/source.js';
import { readStatus, type CoordinationStatus } from '../core/status.js';
import { decodeUtf8 } from '../core/text.js';
import { renderMessages, type RenderedMessages } from './web/threadPage.js';

/** A thread folder of a commit and the blob ids of its two files (null when missing). */
export interface ThreadFiles {
  id: string;
  ledger: Oid | null;
  messages: Oid | null;
}

/** A commit of a record: its status file read, and its thread folders, oldest first. */
export interface RecordTree {
  status: CoordinationStatus | null;
  threads: ThreadFiles[];
}

async function blob(source: ObjectSource, oid: Oid): Promise<Uint8Array | null> {
  const o = await source.read(oid);
  return o?.type === 'blob' ? o.content : null;
}

/** The read tasks by name: each takes the id of the object it reads. */
export const readTasks = {
  /** A commit: its record status and thread folders. */
  'record-tree': async (source: ObjectSource, commit: Oid): Promise<RecordTree | null> => {
    const parsed = await readCommit(source, commit);
    if (!parsed) return null;
    const root = await readTree(source, parsed.tree);
    const statusOid = root.find((e) => e.name === STATUS_FILE && !isFolder(e))?.oid;
    const statusBytes = statusOid ? await blob(source, statusOid) : null;
    const status = statusBytes ? readStatus(statusBytes) : null;
    const folders = (await readTree(source, root.find((e) => e.name === COMMUNICATIONS && isFolder(e))?.oid))
      .filter(isFolder)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const threads: ThreadFiles[] = [];
    for (const folder of folders) {
      const files = await readTree(source, folder.oid);
      const file = (name: string) => files.find((e) => e.name === name && !isFolder(e))?.oid ?? null;
      threads.push({ id: folder.name, ledger: file(LEDGER_FILE), messages: file(MESSAGES_FILE) });
    }
    return { status: status?.ok ? status.value : null, threads };
  },
  /** A ledger.yaml blob, read strictly; null when it does not read. */
  ledger: async (source: ObjectSource, oid: Oid): Promise<Ledger | null> => {
    const bytes = await blob(source, oid);
    const read = bytes ? readLedger(bytes) : null;
    return read?.ok ? read.value : null;
  },
  /** How many messages a messages.md blob holds (it passed the rules when written). */
  'message-count': async (source: ObjectSource, oid: Oid): Promise<number | null> => {
    const bytes = await blob(source, oid);
    return bytes ? parseMessages(decodeUtf8(bytes) ?? '').messages.length : null;
  },
  /** The messages of a messages.md blob as data, in file order (the JSON API's thread). */
  messages: async (source: ObjectSource, oid: Oid): Promise<Message[] | null> => {
    const bytes = await blob(source, oid);
    return bytes ? parseMessages(decodeUtf8(bytes) ?? '').messages.map(plainMessage) : null;
  },
  /** The messages of a messages.md blob rendered for the web view's thread page (its costly part). */
  'message-list': async (source: ObjectSource, oid: Oid): Promise<RenderedMessages | null> => {
    const bytes = await blob(source, oid);
    return bytes ? renderMessages(parseMessages(decodeUtf8(bytes) ?? '').messages.map(plainMessage)) : null;
  },
} as const;

/** The name of a read task. */
export type ReadTask = keyof typeof readTasks;

/** What a read task gives. */
export type ReadResult<K extends ReadTask> = Awaited<ReturnType<(typeof readTasks)[K]>>;

/** A job for a reader thread. */
export interface ReadJob {
  task: ReadTask;
  gitdir: string;
  oid: Oid;
}
