// Add a message or a correction to a thread: a pure byte append to messages.md, and the ledger's
// last_updated_at moved to the message's time.

import { AuthorInvalid, InvalidInput, MessageNotFound, ThreadClosed } from '../core/errors.js';
import { parseMessageId, type MessageId } from '../core/ids.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { renderLedger } from '../core/ledger.js';
import { appendMessages, parseMessages } from '../core/messages/grammar.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import { authorParticipant, newMessage, type MessageContent } from './content.js';
import { checkCareLocation } from './initialise.js';
import { entryTime, files, touched, type CommitAuthor, type RecordHandle } from './record.js';

/** Append one message in one commit; gives its id. */
export async function addMessage(
  record: RecordHandle,
  author: CommitAuthor,
  careLocation: string,
  threadId: string,
  content: MessageContent,
): Promise<MessageId> {
  checkCareLocation(careLocation);
  if (!content || typeof content !== 'object')
    throw new InvalidInput('expected message content { author, body, corrects? }');
  const corrects = content.corrects === undefined ? undefined : parseMessageId(content.corrects);
  if (corrects === null) throw new InvalidInput('expected corrects to be a message id in canonical UUID form');
  const written = await record.write(author, async (head) => {
    const at = head ?? (await record.head());
    const ledger = await record.ledger(at, threadId);
    if (ledger.status !== 'open')
      throw new ThreadClosed(`thread ${threadId} is ${ledger.status} and takes no new messages`, {
        threadId,
        status: ledger.status,
      });
    const p = authorParticipant(ledger, content.author);
    const text = await record.messagesText(at, threadId);
    if (content.corrects !== undefined) {
      // One id may name two blocks after a sync merge (docs/decisions.md): the author's own is meant.
      const targets = parseMessages(text).messages.filter((m) => m.id === content.corrects);
      const target = targets.find((m) => m.authorId === p.participant_id) ?? targets[0];
      if (!target)
        throw new MessageNotFound(`no message ${content.corrects} in thread ${threadId}`, {
          messageId: content.corrects,
        });
      if (target.authorId !== p.participant_id || target.type === 'system') {
        throw new AuthorInvalid(
          `only the author of message ${content.corrects} can correct it, and system messages cannot be corrected`,
        );
      }
    }
    const time = entryTime(record.now(), ledger);
    const message = newMessage(p, content.corrects !== undefined ? 'correction' : p.role, content.body, time, corrects);
    return {
      files: files({
        [threadFilePath(threadId, MESSAGES_FILE)]: appendMessages(text, [message]),
        [threadFilePath(threadId, LEDGER_FILE)]: renderLedger(touched(ledger, time)),
      }),
      message: renderCommitMessage(subjects.addMessage, careLocation),
      result: message.id,
    };
  });
  return written.result;
}
