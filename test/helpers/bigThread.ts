// A large thread written straight into a record with the project's own commit builder and
// writer (no judgement, to keep the tests fast): valid by the rules, of about the size asked for.

import { formatThreadId, formatTimestamp, newUuid, type MessageId, type Timestamp } from '../../core/ids.js';
import { renderCommitMessage, subjects } from '../../core/commitMessage.js';
import { renderLedger } from '../../core/ledger.js';
import { renderMessages, type Message } from '../../core/messages/grammar.js';
import { buildCommit } from '../../git/build.js';
import { MAIN, compareAndSwapRef } from '../../git/refs.js';
import { Repository } from '../../git/repository.js';
import { writeObjects } from '../../git/store.js';
import { jane, place } from './people.js';

/** Add a thread of about `bytes` of messages by Jane to the record at `gitdir`; gives its id and message count. */
export async function addBigThread(
  gitdir: string,
  bytes: number,
): Promise<{ thread: string; messages: number; commit: string }> {
  const repo = new Repository(gitdir);
  const head = (await repo.head())!;
  const start = Date.UTC(2026, 0, 11, 14, 0, 0);
  const thread = formatThreadId(start, newUuid());
  const messages: Message[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const body = `Observation ${i}: ${'the patient reports steady progress and no new symptoms; '.repeat(40)}`;
    const timestamp = formatTimestamp(start + 1000 + i);
    messages.push({
      id: newUuid() as MessageId,
      type: 'clinician',
      timestamp,
      authorId: jane.participant_id,
      author: jane.display_name,
      body,
    });
    size += body.length + 260;
  }
  const last = messages[messages.length - 1]!.timestamp;
  const files = new Map([
    [`communications/${thread}/messages.md`, Buffer.from(renderMessages(messages))],
    [
      `communications/${thread}/ledger.yaml`,
      Buffer.from(
        renderLedger({
          thread_id: thread,
          status: 'open',
          created_at: formatTimestamp(start),
          last_updated_at: last as Timestamp,
          participants: [jane],
          visibility: { sensitivity: 'standard', restricted: false },
          policies: { allow_patient_participation: true, allow_external_organisations: true },
        }),
      ),
    ],
  ]);
  const author = {
    name: 'CCR Test',
    email: 'test@ccr.invalid',
    timestamp: Math.floor(start / 1000) + 3600,
    timezone: '+0000',
  };
  const message = renderCommitMessage(subjects.createThread, place);
  const built = await buildCommit(repo.source, {
    parent: head,
    parentTree: await repo.treeOf(head),
    files,
    message,
    author,
  });
  await writeObjects(gitdir, built.objects);
  if (!(await compareAndSwapRef(gitdir, MAIN, built.oid, head)))
    throw new Error('main moved while the big thread was written');
  return { thread, messages: messages.length, commit: built.oid };
}
