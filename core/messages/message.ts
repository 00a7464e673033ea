// A message of messages.md as data, and the fixed parts of the file between messages (SPEC 4):
// the header, the separators, the block heading, and the limits. The grammar (grammar.ts) reads
// and writes files with them; the merge writes separators with them too.

import type { MessageId, ParticipantId, Timestamp } from '../ids.js';
import type { MessageType } from '../vocabulary.js';

/** One message of a thread. */
export interface Message {
  id: MessageId;
  type: MessageType;
  timestamp: Timestamp;
  authorId: ParticipantId;
  /** The author's display name at the time of writing. */
  author: string;
  /** The message this one corrects; present iff `type` is `correction`. */
  corrects?: MessageId;
  body: string;
}

/** A message as found in a file, with where it stands (offsets in UTF-16 units of the text). */
export interface ParsedMessage extends Message {
  /** 1-based line of its `## Message` heading. */
  line: number;
  /** Offset of its separator (`\n` or `\n---\n\n`) and of `## Message`. */
  sepStart: number;
  start: number;
  fieldsStart: number;
  fieldsEnd: number;
  bodyStart: number;
  bodyEnd: number;
}

/** The first line of every messages.md; also the whole file of a thread with no messages. */
export const HEADER = '# Messages\n';
/** The separator before the first block of a file. */
export const FIRST_SEP = '\n';
/** The separator before every later block. */
export const SEP = '\n---\n\n';
/** How every block begins. */
export const BLOCK_HEAD = '## Message\n\n';

/** Limits of SPEC section 4. */
export const messageLimits = {
  bodyBytes: 64 * 1024,
  fileBytes: 16 * 1024 * 1024,
  lineChars: 10_000,
  nameChars: 200,
  nesting: 16,
  /** Not in SPEC: bounds remark's time on a body (see markdown.ts, docs/decisions.md). */
  emphasisMarkers: 2000,
} as const;

/** The separator that goes before the next block of a file. */
export function separatorAfter(file: string): string {
  return file === HEADER ? FIRST_SEP : SEP;
}
