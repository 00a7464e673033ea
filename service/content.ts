// Checks and shaping of what callers pass in: participants, message content, authors.

import { AuthorInvalid, InvalidInput } from '../core/errors.js';
import { parseParticipantId, type MessageId, type Timestamp } from '../core/ids.js';
import type { Ledger, Participant } from '../core/ledger.js';
import { renderBody } from '../core/messages/body.js';
import type { Message } from '../core/messages/grammar.js';
import { isOneOf, roles } from '../core/vocabulary.js';
import { newUuid } from '../core/ids.js';

/** The author of a message: a participant's id and display name. */
export interface MessageAuthor {
  id: string;
  name: string;
}

/** What a caller writes: author, body as typed, and for a correction the message it corrects. */
export interface MessageContent {
  author: MessageAuthor;
  body: string;
  corrects?: string;
}

/** A participant as a caller gives it, unchecked: checkParticipants parses it into a Participant. */
export interface ParticipantInput {
  participant_id: string;
  role: string;
  display_name: string;
}

/** Validate participants given by a caller: at least one, canonical ids, known roles, unique. */
export function checkParticipants(participants: unknown): Participant[] {
  if (!Array.isArray(participants) || participants.length === 0)
    throw new InvalidInput('expected at least one participant');
  const seen = new Set<string>();
  return participants.map((p: Partial<ParticipantInput> | null | undefined, i) => {
    const participantId = p ? parseParticipantId(p.participant_id) : null;
    if (!p || participantId === null)
      throw new InvalidInput(`participant ${i}: expected participant_id in canonical UUID form`);
    if (!isOneOf(roles, p.role))
      throw new InvalidInput(`participant ${i}: expected role to be one of ${roles.join(', ')}`);
    if (
      typeof p.display_name !== 'string' ||
      p.display_name.trim() !== p.display_name ||
      p.display_name.length === 0 ||
      [...p.display_name].length > 200 ||
      /[`\n\r]/.test(p.display_name)
    ) {
      throw new InvalidInput(
        `participant ${i}: expected display_name of 1–200 characters on one line, without backticks or outer spaces`,
      );
    }
    if (seen.has(participantId)) throw new InvalidInput(`participant ${participantId} is listed twice`);
    seen.add(participantId);
    return { participant_id: participantId, role: p.role, display_name: p.display_name };
  });
}

/** The ledger participant an author stands for; AuthorInvalid when not one, or the name differs. */
export function authorParticipant(ledger: Ledger, author: MessageAuthor | undefined): Participant {
  if (!author || typeof author.id !== 'string' || typeof author.name !== 'string')
    throw new InvalidInput('expected an author { id, name }');
  const p = ledger.participants.find((x) => x.participant_id === author.id);
  if (!p)
    throw new AuthorInvalid(`${author.id} is not a participant of thread ${ledger.thread_id}`, { authorId: author.id });
  if (p.display_name !== author.name) {
    throw new AuthorInvalid(
      `the author name ${JSON.stringify(author.name)} differs from the ledger's ${JSON.stringify(p.display_name)}`,
      { authorId: author.id },
    );
  }
  return p;
}

/** A new message of a participant, with its body rendered safe; InvalidInput for a blank body. */
export function newMessage(
  p: Participant,
  type: Message['type'],
  body: string,
  timestamp: Timestamp,
  corrects?: MessageId,
): Message {
  if (typeof body !== 'string') throw new InvalidInput('expected a message body string');
  const rendered = renderBody(body);
  if (rendered.trim() === '') throw new InvalidInput('expected a non-empty message body');
  return {
    id: newUuid(),
    type,
    timestamp,
    authorId: p.participant_id,
    author: p.display_name,
    body: rendered,
    ...(corrects !== undefined ? { corrects } : {}),
  };
}
