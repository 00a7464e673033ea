// Text-level checks shared by every file format: strict UTF-8, forbidden characters, line limits.

/** Characters SPEC section 4 forbids anywhere: C0 controls but tab and LF (so CR), DEL, zero-width
 *  and bidirectional controls, line/paragraph separators, BOM. */
export const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F\u200B-\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF]/u;
const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_CHARS.source, 'gu');

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decode UTF-8 strictly (a BOM is kept as U+FEFF so it can be refused); null when invalid. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Number of UTF-8 bytes of a string, without allocating them. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

/** The name of a forbidden character, for messages: `U+202E`. */
export function describeChar(ch: string): string {
  const named: Record<string, string> = { '\r': 'CR', '\0': 'NUL', '\uFEFF': 'BOM', '\u007F': 'DEL' };
  const code = 'U+' + (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return named[ch] ? `${named[ch]} (${code})` : code;
}

/** A problem found in text: which kind, what was expected, and the 1-based line. */
export interface TextProblem {
  kind: 'char' | 'line';
  line: number;
  message: string;
}

/**
 * Forbidden characters and over-long lines, at most `max` problems, with 1-based line numbers.
 * Linear in the text; the regex does the scanning.
 */
export function scanText(text: string, limits: { maxLine: number; max?: number }): TextProblem[] {
  const problems: TextProblem[] = [];
  const max = limits.max ?? 10;
  FORBIDDEN_GLOBAL.lastIndex = 0;
  for (let m = FORBIDDEN_GLOBAL.exec(text); m && problems.length < max; m = FORBIDDEN_GLOBAL.exec(text)) {
    problems.push({ kind: 'char', line: lineAt(text, m.index), message: `expected no forbidden character, found ${describeChar(m[0])}` });
  }
  let line = 1;
  for (let start = 0; start <= text.length && problems.length < max; line++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const length = end - start;
    const chars = length > limits.maxLine ? [...text.slice(start, end)].length : length;
    if (chars > limits.maxLine) {
      problems.push({ kind: 'line', line, message: `expected lines of at most ${limits.maxLine} characters, found ${chars}` });
    }
    start = end + 1;
  }
  return problems;
}

/** 1-based line number of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** A short, visible quotation of what was found, for messages. */
export function quote(text: string, max = 60): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return JSON.stringify(cut);
}
