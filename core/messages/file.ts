// Whole-file and appended-part checks of messages.md: characters, byte grammar, remark reading.

import type { Finding } from '../findings.js';
import { problem, type ReaderProblem } from '../problems.js';
import { reportReaderProblems } from '../rules/readerRules.js';
import { decodeUtf8, scanText } from '../text.js';
import { parseMessages } from './grammar.js';
import { BLOCK_HEAD, FIRST_SEP, HEADER, SEP, messageLimits, type ParsedMessage } from './message.js';
import { crossCheck } from './markdown.js';
import { appendedNotWhole } from '../rules/appendOnly.js';

/** Messages read from a text and what was wrong with it. */
export interface MessagesCheck {
  messages: ParsedMessage[];
  findings: Finding[];
}

/**
 * Everything SPEC 4 says about one text: characters, the byte grammar, and the remark reading
 * agreeing with it, each problem reported by its rule. `lineOffset` shifts reported lines (for a
 * part checked on its own).
 */
export function checkMessagesText(text: string, path?: string, lineOffset = 0): MessagesCheck {
  const where = path ? { path } : {};
  const problems = scanText(text, { maxLine: messageLimits.lineChars }).map((p) =>
    problem('messages', p.kind === 'char' ? 'chars' : 'limits', p.message, { ...where, line: p.line }),
  );
  const parsed = parseMessages(text, path);
  problems.push(...parsed.problems);
  if (problems.length === 0) problems.push(...crossCheck(text, parsed.messages, path));
  for (const p of problems) if (p.line !== undefined) p.line += lineOffset;
  for (const m of parsed.messages) m.line += lineOffset;
  return { messages: parsed.messages, findings: reportReaderProblems(problems) };
}

/** Decode and check a whole file given as bytes. */
export function checkMessagesBytes(bytes: Uint8Array, path?: string): MessagesCheck {
  const where = path ? { path } : {};
  if (bytes.length > messageLimits.fileBytes) {
    return refused(
      problem('blob', 'too-large', `expected at most ${messageLimits.fileBytes} bytes, found ${bytes.length}`, where),
    );
  }
  const text = decodeUtf8(bytes);
  if (text === null)
    return refused(problem('messages', 'chars', 'expected UTF-8, found invalid byte sequences', where));
  return checkMessagesText(text, path);
}

/** No messages, for one problem. */
function refused(p: ReaderProblem): MessagesCheck {
  return { messages: [], findings: reportReaderProblems([p]) };
}

/** What is known of the file an append extends: how many blocks and lines it has. */
export interface EarlierFile {
  blocks: number;
  lines: number;
}

/** The messages an append adds, and what was wrong with them. */
export interface AppendCheck {
  appended: ParsedMessage[];
  findings: Finding[];
}

/**
 * Check what was appended to an already-valid file: it must be whole blocks, and those blocks
 * must pass every check of a whole file. Only the appended part goes through the character scan
 * and remark; the earlier part was judged when it was written.
 */
export function checkAppendedText(appendedText: string, earlier: EarlierFile, path?: string): AppendCheck {
  const sep = earlier.blocks === 0 ? FIRST_SEP : SEP;
  if (!appendedText.startsWith(sep + BLOCK_HEAD.trimEnd() + '\n')) {
    return {
      appended: [],
      findings: [appendedNotWhole(sep + BLOCK_HEAD.trim(), { ...(path ? { path } : {}), line: earlier.lines + 1 })],
    };
  }
  // The part is checked as a file of its own: `# Messages`, a blank line, then the new blocks.
  // Its `## Message` is on line 3; in the real file it follows the earlier lines and the separator.
  const part = HEADER + '\n' + appendedText.slice(sep.length);
  const check = checkMessagesText(part, path, earlier.lines + (sep === FIRST_SEP ? 1 : 3) + 1 - 3);
  return { appended: check.messages, findings: check.findings };
}

/** Number of LF bytes, which is the number of lines of a file that ends with LF. */
export function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}
