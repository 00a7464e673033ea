// messages.md by the byte grammar of SPEC section 4: render, and parse back with offsets.
// `renderMessages(parseMessages(f).messages) === f` for every file this parser accepts.

import { problem, type ProblemKind, type ReaderProblem } from '../problems.js';
import { isTimestamp, parseMessageId, parseParticipantId } from '../ids.js';
import { NOTHING_VISIBLE, hasVisibleChar, quote, utf8Length } from '../text.js';
import { isOneOf, messageTypes } from '../vocabulary.js';
import {
  BLOCK_HEAD,
  FIRST_SEP,
  HEADER,
  SEP,
  messageLimits,
  separatorAfter,
  type Message,
  type ParsedMessage,
} from './message.js';

export { HEADER, messageLimits, type Message, type ParsedMessage };

/** What follows a body when another block follows it. */
const BODY_END = '\n' + SEP + BLOCK_HEAD;

/** The field lines of a block, from `**ID:**` to the newline after the last field. */
export function renderFields(m: Message): string {
  let s =
    `**ID:** \`${m.id}\`  \n**Type:** ${m.type}  \n**Timestamp:** ${m.timestamp}  \n` +
    `**Author ID:** \`${m.authorId}\`  \n**Author:** ${m.author}`;
  if (m.corrects !== undefined) s += `  \n**Corrects:** \`${m.corrects}\``;
  return s + '\n';
}

/** One block: heading, fields, blank line, body, newline. */
export function renderBlock(m: Message): string {
  return BLOCK_HEAD + renderFields(m) + '\n' + m.body + '\n';
}

/** A file holding these messages in order. */
export function renderMessages(messages: readonly Message[]): string {
  return appendMessages(HEADER, messages);
}

/** The file with these messages appended: a pure byte append of `sep block` each. */
export function appendMessages(file: string, messages: readonly Message[]): string {
  let out = file;
  for (const m of messages) out += separatorAfter(out) + renderBlock(m);
  return out;
}

/** What a parse gives: the messages read before the first problem, and the problems (as data). */
export interface ParseResult {
  messages: ParsedMessage[];
  problems: ReaderProblem[];
}

/** A problem of messages.md. */
const found = (kind: ProblemKind, message: string, where: Parameters<typeof problem>[3]) =>
  problem('messages', kind, message, where);

/** Problems in a parsed message's own values: name, type/corrects pairing, body shape and size. */
function valueProblems(m: Message, line: number, path: string | undefined): ReaderProblem[] {
  const where = { ...(path ? { path } : {}), messageId: m.id, line };
  const out: ReaderProblem[] = [];
  const bad = (message: string) => out.push(found('format', message, where));
  if (m.author.length === 0 || [...m.author].length > messageLimits.nameChars)
    bad(`expected an author name of 1–${messageLimits.nameChars} characters`);
  if (m.author.includes('`')) bad('expected an author name without backticks');
  if (m.author.trim() !== m.author) bad('expected an author name without leading or trailing spaces');
  else if (m.author.length > 0 && !hasVisibleChar(m.author)) {
    out.push(
      found('chars', 'expected an author name with a visible character, found only blank or invisible ones', where),
    );
  }
  if ((m.type === 'correction') !== (m.corrects !== undefined)) {
    bad(
      m.type === 'correction'
        ? 'expected a `**Corrects:**` field on a correction'
        : `expected no \`**Corrects:**\` field on a ${m.type} message`,
    );
  }
  if (m.body.length === 0) bad('expected a non-empty body');
  else if (/^[ \t]*(\n|$)/.test(m.body)) bad('expected the body to start with text, found a blank line');
  else if (/(^|\n)[ \t]*$/.test(m.body)) bad('expected the body to end with text, found a blank line');
  else if (!hasVisibleChar(m.body)) {
    out.push(found('chars', NOTHING_VISIBLE, where));
  }
  if (utf8Length(m.body) > messageLimits.bodyBytes) {
    out.push(found('limits', `expected a body of at most ${messageLimits.bodyBytes} bytes`, where));
  }
  return out;
}

/** A cursor over the text that reports the first mismatch with the line it is on. */
class Reader {
  line = 1;
  constructor(
    readonly text: string,
    public pos: number,
    readonly path: string | undefined,
  ) {}

  /** Consume `literal` or report what was expected. */
  expect(literal: string, what: string): ReaderProblem | null {
    if (this.text.startsWith(literal, this.pos)) {
      this.advance(this.pos + literal.length);
      return null;
    }
    return this.mismatch(what);
  }

  /** Consume a field line `<prefix>value<suffix>\n` and give the value. */
  field(prefix: string, suffix: string, what: string): string | ReaderProblem {
    const end = this.text.indexOf('\n', this.pos);
    const lineText = this.text.slice(this.pos, end === -1 ? this.text.length : end);
    if (
      end === -1 ||
      !lineText.startsWith(prefix) ||
      !lineText.endsWith(suffix) ||
      lineText.length < prefix.length + suffix.length
    ) {
      return this.mismatch(what);
    }
    this.advance(end + 1);
    return lineText.slice(prefix.length, lineText.length - suffix.length);
  }

  mismatch(what: string): ReaderProblem {
    const end = this.text.indexOf('\n', this.pos);
    const seen =
      this.pos >= this.text.length
        ? 'the end of the file'
        : quote(this.text.slice(this.pos, end === -1 ? undefined : end));
    return found('format', `expected ${what}, found ${seen}`, {
      ...(this.path ? { path: this.path } : {}),
      line: this.line,
    });
  }

  advance(to: number): void {
    for (let i = this.text.indexOf('\n', this.pos); i !== -1 && i < to; i = this.text.indexOf('\n', i + 1)) this.line++;
    this.pos = to;
  }
}

/**
 * Parse a messages.md text by the byte grammar. Stops at the first structural problem; value
 * problems (a bad name, a blank body) are reported for every block. Never throws.
 */
export function parseMessages(text: string, path?: string): ParseResult {
  const messages: ParsedMessage[] = [];
  const problems: ReaderProblem[] = [];
  const r = new Reader(text, 0, path);
  const fail = (f: ReaderProblem | null) => {
    if (f) problems.push(f);
    return f !== null;
  };
  if (fail(r.expect(HEADER, '`# Messages` as the first line'))) return { messages, problems };

  while (r.pos < text.length) {
    const sepStart = r.pos;
    const first = messages.length === 0;
    if (
      fail(
        r.expect(
          first ? FIRST_SEP : SEP,
          first ? 'a blank line after `# Messages`' : 'a blank line, `---` and a blank line between messages',
        ),
      )
    )
      break;
    const start = r.pos;
    const line = r.line;
    if (fail(r.expect(BLOCK_HEAD, '`## Message` followed by a blank line'))) break;
    const fieldsStart = r.pos;
    const id = r.field('**ID:** `', '`  ', '`**ID:** `<uuid>`` and two spaces');
    if (typeof id !== 'string') {
      fail(id);
      break;
    }
    const type = r.field('**Type:** ', '  ', '`**Type:** <type>` and two spaces');
    if (typeof type !== 'string') {
      fail(type);
      break;
    }
    const timestamp = r.field('**Timestamp:** ', '  ', '`**Timestamp:** <timestamp>` and two spaces');
    if (typeof timestamp !== 'string') {
      fail(timestamp);
      break;
    }
    const authorId = r.field('**Author ID:** `', '`  ', '`**Author ID:** `<uuid>`` and two spaces');
    if (typeof authorId !== 'string') {
      fail(authorId);
      break;
    }
    const authorLine = r.field('**Author:** ', '', '`**Author:** <name>`');
    if (typeof authorLine !== 'string') {
      fail(authorLine);
      break;
    }
    let author = authorLine;
    let corrects: string | undefined;
    if (text.startsWith('**Corrects:** ', r.pos)) {
      const value = r.field('**Corrects:** `', '`', '`**Corrects:** `<uuid>``');
      if (typeof value !== 'string') {
        fail(value);
        break;
      }
      if (!author.endsWith('  ')) {
        fail(r.mismatch('two spaces at the end of the `**Author:**` line before `**Corrects:**`'));
        break;
      }
      author = author.slice(0, -2);
      corrects = value;
    }
    const fieldsEnd = r.pos;
    if (fail(r.expect('\n', 'a blank line after the fields'))) break;

    const bodyStart = r.pos;
    const next = text.indexOf(BODY_END, bodyStart);
    const bodyEnd = next === -1 ? text.length - 1 : next;
    if (next === -1 && !text.endsWith('\n')) {
      r.advance(text.length);
      fail(r.mismatch('a newline at the end of the file'));
      break;
    }
    const body = text.slice(bodyStart, Math.max(bodyStart, bodyEnd));

    const where = { ...(path ? { path } : {}), line };
    // The field values are bytes of a file: each is parsed once here, and the message holds the parsed ones.
    const messageId = parseMessageId(id);
    const messageType = isOneOf(messageTypes, type) ? type : null;
    const stamp = isTimestamp(timestamp) ? timestamp : null;
    const authorParticipant = parseParticipantId(authorId);
    const corrected = corrects === undefined ? undefined : parseMessageId(corrects);
    const values: Array<[string, boolean, string]> = [
      ['ID', messageId !== null, 'a canonical lowercase UUID'],
      ['Type', messageType !== null, `one of ${messageTypes.join(', ')}`],
      ['Timestamp', stamp !== null, 'a timestamp `YYYY-MM-DDTHH:MM:SS.sssZ`'],
      ['Author ID', authorParticipant !== null, 'a canonical lowercase UUID'],
      ['Corrects', corrected !== null, 'a canonical lowercase UUID'],
    ];
    let valuesOk = true;
    for (const [key, ok, what] of values) {
      if (!ok) {
        problems.push(found('format', `expected ${what} in the \`**${key}:**\` field`, where));
        valuesOk = false;
      }
    }
    if (
      !valuesOk ||
      messageId === null ||
      messageType === null ||
      stamp === null ||
      authorParticipant === null ||
      corrected === null
    )
      break;
    const message: ParsedMessage = {
      id: messageId,
      type: messageType,
      timestamp: stamp,
      authorId: authorParticipant,
      author,
      ...(corrected !== undefined ? { corrects: corrected } : {}),
      body,
      line,
      sepStart,
      start,
      fieldsStart,
      fieldsEnd,
      bodyStart,
      bodyEnd,
    };
    problems.push(...valueProblems(message, line, path));
    messages.push(message);
    r.advance(next === -1 ? text.length : next + 1);
  }
  return { messages, problems };
}

/** The plain message of a parsed one (offsets dropped). */
export function plainMessage(m: ParsedMessage): Message {
  const { line, sepStart, start, fieldsStart, fieldsEnd, bodyStart, bodyEnd, ...rest } = m;
  return rest;
}
