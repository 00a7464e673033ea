// Where a finding about one appended message points: the thread's messages.md, the message, its line.

import { MESSAGES_FILE, threadFilePath } from '../layout.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { Where } from './define.js';

/** The place of a message in its thread's file. */
export function messagePlace(threadId: string, m: ParsedMessage): Where {
  return { path: threadFilePath(threadId, MESSAGES_FILE), messageId: m.id, line: m.line };
}
