// Reading a record: one thread whole, or the list of threads with their ledgers.

import type { Ledger } from '../core/ledger.js';
import { plainMessage, type Message } from '../core/messages/grammar.js';
import type { ThreadStatus } from '../core/vocabulary.js';
import type { RecordHandle } from './record.js';

/** A thread: its ledger and its messages in file order (seed: Communication). */
export interface Thread {
  id: string;
  ledger: Ledger;
  messages: Message[];
}

/** What a thread list shows of each thread. */
export interface ThreadSummary {
  id: string;
  status: ThreadStatus;
  created_at: string;
  last_updated_at: string;
  participants: Ledger['participants'];
}

/** One thread at the current head. */
export async function readThread(record: RecordHandle, threadId: string): Promise<Thread> {
  const head = await record.head();
  const ledger = await record.ledger(head, threadId);
  const messages = (await record.messages(head, threadId)).map(plainMessage);
  return { id: threadId, ledger, messages };
}

/** The threads at the current head, oldest first; archived ones only when asked for. */
export async function listThreads(
  record: RecordHandle,
  filter: { status?: ThreadStatus | ThreadStatus[]; includeArchived?: boolean } = {},
): Promise<ThreadSummary[]> {
  const head = await record.head();
  const wanted = filter.status === undefined ? undefined : ([] as ThreadStatus[]).concat(filter.status);
  const out: ThreadSummary[] = [];
  for (const id of await record.threadIds(head)) {
    const l = await record.ledger(head, id);
    if (wanted ? !wanted.includes(l.status) : l.status === 'archived' && !filter.includeArchived) continue;
    out.push({
      id,
      status: l.status,
      created_at: l.created_at,
      last_updated_at: l.last_updated_at,
      participants: l.participants,
    });
  }
  return out;
}
