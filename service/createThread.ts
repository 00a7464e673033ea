// Create a thread: its folder with ledger.yaml and messages.md (optionally a first message).

import { AuthorInvalid } from '../core/errors.js';
import { formatThreadId, formatTimestamp, newUuid, type ThreadId } from '../core/ids.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { defaultPolicies, defaultVisibility, renderLedger, type Ledger } from '../core/ledger.js';
import { HEADER, appendMessages } from '../core/messages/grammar.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import {
  authorParticipant,
  checkParticipants,
  newMessage,
  type MessageContent,
  type ParticipantInput,
} from './content.js';
import { checkCareLocation } from './initialise.js';
import { files, type CommitAuthor, type RecordHandle } from './record.js';

/** Create a thread in one commit; gives its id. */
export async function createThread(
  record: RecordHandle,
  author: CommitAuthor,
  careLocation: string,
  participants: readonly ParticipantInput[],
  initialMessage?: MessageContent,
): Promise<ThreadId> {
  checkCareLocation(careLocation);
  const members = checkParticipants(participants);
  const written = await record.write(author, async () => {
    const time = record.now();
    const id = formatThreadId(time, newUuid());
    const created = formatTimestamp(time);
    const ledger: Ledger = {
      thread_id: id,
      status: 'open',
      created_at: created,
      last_updated_at: created,
      participants: members,
      visibility: { ...defaultVisibility },
      policies: { ...defaultPolicies },
    };
    let messages = HEADER;
    if (initialMessage) {
      const p = authorParticipant(ledger, initialMessage.author);
      if (initialMessage.corrects !== undefined) throw new AuthorInvalid('a new thread has nothing to correct');
      messages = appendMessages(HEADER, [newMessage(p, p.role, initialMessage.body, created)]);
    }
    return {
      files: files({
        [threadFilePath(id, LEDGER_FILE)]: renderLedger(ledger),
        [threadFilePath(id, MESSAGES_FILE)]: messages,
      }),
      message: renderCommitMessage(subjects.createThread, careLocation),
      result: id,
    };
  });
  return written.result;
}
