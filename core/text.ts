// Text-level checks shared by every file format: strict UTF-8, forbidden characters, line limits.

/**
 * Characters SPEC section 4 forbids anywhere: C0 controls but tab and LF (so CR), DEL, line and
 * paragraph separators, and every Default_Ignorable_Code_Point (zero-width and bidirectional
 * controls, BOM, soft hyphen, word joiner, Hangul fillers, tag characters, …): text a reader
 * cannot see. Private-use and unassigned code points too (and lone surrogates, which only a JSON
 * string can carry): they show as a box or as a vendor's glyph that another site does not have,
 * so a reader cannot tell what was written. One exception: U+FE0F (emoji presentation) directly
 * after an emoji, as phone keyboards write "❤️" and "✔️"; after a digit, `#` or `*` (emoji too)
 * only in a keycap ("5️⃣", U+20E3 next), else "5\uFE0F0 mg" would hide a bit in every digit of a
 * dose. A selector anywhere else, or a run of them (a hidden channel), is refused.
 */
export const FORBIDDEN_CHARS = new RegExp(
  [
    '[\\u0000-\\u0008\\u000B-\\u001F\\u007F\\u2028\\u2029\\p{Co}\\p{Cn}\\p{Cs}]',
    '(?!\\uFE0F)\\p{Default_Ignorable_Code_Point}',
    '(?<!\\p{Emoji})\\uFE0F',
    '(?<=[0-9#*])\\uFE0F(?!\\u20E3)',
  ].join('|'),
  'u',
);
const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_CHARS.source, 'gu');

/** Characters that show nothing on their own: white space, controls, format and invisible characters, blank patterns. */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}\u2800]/u;
const VISIBLE = new RegExp(`(?!${INVISIBLE.source})[^]`, 'u');

/** Why a body that shows nothing is refused (`ccr/message-chars`). */
export const NOTHING_VISIBLE =
  'expected at least one visible character in the body, found only white space or invisible characters';

/** True when the text holds at least one character a reader can see (not only spaces or fillers). */
export function hasVisibleChar(text: string): boolean {
  return VISIBLE.test(text);
}

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
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The name of a forbidden character, for messages: `U+202E`, `soft hyphen (U+00AD)`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const named: Record<string, string> = {
    '\r': 'CR',
    '\0': 'NUL',
    '\uFEFF': 'BOM',
    '\u007F': 'DEL',
    '\u00AD': 'soft hyphen',
    '\u200D': 'zero-width joiner',
    '\u2060': 'word joiner',
    '\u3164': 'Hangul filler',
    '\uFFA0': 'halfwidth Hangul filler',
  };
  const code = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  const selector = (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
  const kind =
    named[ch] ??
    (cp >= 0xe0000 && cp <= 0xe007f
      ? 'tag character'
      : selector
        ? 'variation selector'
        : /\p{Co}/u.test(ch)
          ? 'private-use character'
          : /\p{Cn}/u.test(ch)
            ? 'unassigned code point'
            : /\p{Cs}/u.test(ch)
              ? 'lone surrogate'
              : undefined);
  return kind ? `${kind} (${code})` : code;
}

/** Why a U+FE0F was refused, where emoji presentation selectors are otherwise kept. */
const SELECTOR_WHY = ' not right after an emoji (after a digit, `#` or `*` only in a keycap, U+20E3 next)';

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
    const why = m[0] === '\uFE0F' ? SELECTOR_WHY : '';
    const message = `expected no forbidden character, found ${describeChar(m[0])}${why}`;
    problems.push({ kind: 'char', line: lineAt(text, m.index), message });
  }
  let line = 1;
  for (let start = 0; start <= text.length && problems.length < max; line++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const length = end - start;
    const chars = length > limits.maxLine ? [...text.slice(start, end)].length : length;
    if (chars > limits.maxLine) {
      problems.push({
        kind: 'line',
        line,
        message: `expected lines of at most ${limits.maxLine} characters, found ${chars}`,
      });
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
