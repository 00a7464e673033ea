// The second, independent reading of messages.md: CommonMark through unified + remark-parse.
// It must give exactly the headings, field paragraphs, bodies and separators that the byte
// grammar gives (SPEC 4); anything else is refused as ambiguous.

import type { Nodes, PhrasingContent, Root, RootContent } from 'mdast';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { problem, type ReaderProblem } from '../problems.js';
import { FORBIDDEN_CHARS, describeChar, hasVisibleChar, lineAt } from '../text.js';
import { messageLimits, renderFields, type ParsedMessage } from './grammar.js';

const processor = unified().use(remarkParse);

/** Parse markdown into mdast (CommonMark, no extensions). */
export function parseMarkdown(text: string): Root {
  return processor.parse(text);
}

/** Field labels a body line must not start with, so no reader mistakes it for a message's fields. */
export const FIELD_LABEL = /^[ \t>]*\*\*(?:ID|Type|Timestamp|Author ID|Author|Corrects):\*\*/;

/** The source lines a node spans, each with the offset where its line starts. */
export function sourceLines(text: string, from: number, to: number): Array<{ at: number; text: string }> {
  const lines: Array<{ at: number; text: string }> = [];
  for (let at = text.lastIndexOf('\n', from - 1) + 1; at < to;) {
    const nl = text.indexOf('\n', at);
    const stop = nl === -1 ? text.length : nl;
    lines.push({ at, text: text.slice(at, stop) });
    at = stop + 1;
  }
  return lines;
}

const CONTAINER_MARKER = /^(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))/;

/**
 * An upper estimate of the list/quote nesting of a line: container markers on it plus what its
 * indentation can hold (every nested list level indents at least two columns). Used to refuse
 * hostile nesting before remark, whose cost grows with depth, ever sees it.
 */
export function estimateNesting(line: string): number {
  let i = 0;
  let indent = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) indent += line[i++] === '\t' ? 4 : 1;
  let markers = 0;
  for (;;) {
    const m = CONTAINER_MARKER.exec(line.slice(i, i + 12));
    if (!m) break;
    markers++;
    i += m[0].length;
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  }
  return markers + Math.floor(indent / 2);
}

/** The first line (1-based) whose nesting estimate passes `limit`, or null. */
export function firstDeepLine(text: string, limit: number): number | null {
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (estimateNesting(text.slice(start, end)) > limit) return line;
    start = end + 1;
  }
  return null;
}

/**
 * Inline emphasis markers (`*`, `_` not opening a line): remark resolves them in time that grows
 * with the square of their number (60 KB of `*a` takes seconds), so a body may hold only so many.
 */
export function emphasisMarkers(text: string): number {
  let n = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lineStart = true;
    else if (c === 32 || c === 9) continue;
    else {
      if ((c === 42 || c === 95) && !lineStart) n++;
      lineStart = false;
    }
  }
  return n;
}

/** The inline content of a paragraph written back in the minimal markdown the fields use. */
function inlineText(nodes: PhrasingContent[]): string {
  return nodes
    .map((n) => {
      switch (n.type) {
        case 'text':
          return n.value;
        case 'strong':
          return `**${inlineText(n.children)}**`;
        case 'inlineCode':
          return `\`${n.value}\``;
        case 'break':
          return '\n';
        default:
          return `\u0000${n.type}\u0000`; // never equal to a field value
      }
    })
    .join('');
}

/** The opening fence of a code node's source (```` ``` ````, `~~~~`, …), or null for indented code. */
export function openingFence(source: string): string | null {
  return /^ {0,3}(`{3,}|~{3,})/.exec(source)?.[1] ?? null;
}

/** True when a fenced code node's source ends with a closing fence (indented code is closed). */
export function fenceClosed(source: string): boolean {
  const fence = openingFence(source);
  if (!fence) return true;
  const lines = source.split('\n');
  const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[lines.length - 1] ?? '')?.[1];
  return lines.length > 1 && close !== undefined && close[0] === fence[0] && close.length >= fence.length;
}

function start(n: Nodes): number {
  return n.position?.start.offset ?? -1;
}
function end(n: Nodes): number {
  return n.position?.end.offset ?? -1;
}

/** What a body-level node is called in a refusal, and how to write the same text safely. */
const forbidden: Partial<Record<RootContent['type'], string>> = {
  thematicBreak: 'thematic break (`---`, `***` or `___`), which would end the message; write it as `\\---`',
  html: 'raw HTML, which can hide text when rendered; write `\\<` instead of `<`',
  definition: 'link reference definition, which is invisible when rendered; write `\\[` instead of `[`',
};

/**
 * Problems of the text a markdown reader shows for a body (character references decoded):
 * no forbidden character (`&#x202E;`, `&#xE0041;`), and at least one visible character (not only
 * `&nbsp;`, an empty link or an empty list). Offsets of `nodes` are offsets in `text`.
 */
export function shownTextProblems(
  text: string,
  nodes: readonly RootContent[],
  where: { path?: string; messageId?: string },
): ReaderProblem[] {
  const out: ReaderProblem[] = [];
  const shown: string[] = [];
  const walk = (n: Nodes) => {
    for (const [key, value] of Object.entries(n)) {
      if (key === 'type' || typeof value !== 'string') continue;
      const bad = FORBIDDEN_CHARS.exec(value);
      if (bad && out.length < 10) {
        const why =
          'expected no forbidden character in the text a markdown reader shows, ' +
          `found ${describeChar(bad[0])} (written as a character reference)`;
        out.push(problem('messages', 'chars', why, { ...where, line: lineAt(text, start(n)) }));
      }
      if (key === 'value' || key === 'alt') shown.push(value);
    }
    if ('children' in n) for (const c of n.children) walk(c as Nodes);
  };
  for (const n of nodes) walk(n);
  const first = nodes[0];
  if (!hasVisibleChar(shown.join(''))) {
    const why =
      'expected at least one visible character in the body as a markdown reader shows it, ' +
      'found only white space or invisible characters';
    out.push(problem('messages', 'chars', why, { ...where, ...(first ? { line: lineAt(text, start(first)) } : {}) }));
  }
  return out;
}

/** Problems of one body: forbidden nodes anywhere in it, open fences, nesting, what it shows. */
function bodyProblems(
  text: string,
  nodes: RootContent[],
  where: { path?: string; messageId: string },
): ReaderProblem[] {
  const out: ReaderProblem[] = [];
  const report = (n: Nodes, what: string) =>
    out.push(
      problem('messages', 'ambiguous', `expected no ${what} in a body`, { ...where, line: lineAt(text, start(n)) }),
    );
  let deepest = 0;
  const walk = (n: Nodes, depth: number, top: boolean) => {
    if (n.type === 'heading' && top && n.depth <= 2) {
      report(
        n,
        `level-${n.depth} heading, which would break the message structure; write \`\\#\` or escape the underline (\`\\---\`, \`\\===\`)`,
      );
    } else if (n.type === 'html' || n.type === 'definition' || (n.type === 'thematicBreak' && top)) {
      report(n, forbidden[n.type]!);
    } else if (n.type === 'code' && top && !fenceClosed(text.slice(start(n), end(n)))) {
      report(n, 'code fence left open, which would swallow the messages after it; close it with a matching ``` line');
    } else if (n.type === 'paragraph' && sourceLines(text, start(n), end(n)).some((l) => FIELD_LABEL.test(l.text))) {
      report(n, 'line that starts like a message field (`**ID:**`, `**Author:**`, …); write `\\*\\*` instead of `**`');
    }
    const nested = n.type === 'list' || n.type === 'blockquote' ? depth + 1 : depth;
    deepest = Math.max(deepest, nested);
    if ('children' in n) for (const c of n.children) walk(c as Nodes, nested, false);
  };
  for (const n of nodes) walk(n, 0, true);
  if (deepest > messageLimits.nesting) {
    out.push(
      problem(
        'messages',
        'limits',
        `expected list and quote nesting of at most ${messageLimits.nesting} levels, found ${deepest}`,
        where,
      ),
    );
  }
  // What it shows is judged once its structure is sound (a lone `___` is a break, not a blank body).
  if (out.length === 0) out.push(...shownTextProblems(text, nodes, where));
  return out;
}

/**
 * Read the text with remark and compare with the byte grammar's messages: the header heading,
 * then per message its separator, `## Message` heading, field paragraph (same values) and body
 * (same extent, nothing structural in it). Returns problems; none means both readings agree.
 */
export function crossCheck(text: string, messages: readonly ParsedMessage[], path?: string): ReaderProblem[] {
  const base = path ? { path } : {};
  const deep = firstDeepLine(text, messageLimits.nesting * 4);
  if (deep !== null) {
    return [
      problem('messages', 'limits', `expected list and quote nesting of at most ${messageLimits.nesting} levels`, {
        ...base,
        line: deep,
      }),
    ];
  }
  for (const m of messages) {
    if (emphasisMarkers(m.body) > messageLimits.emphasisMarkers) {
      return [
        problem(
          'messages',
          'limits',
          `expected at most ${messageLimits.emphasisMarkers} emphasis markers (\`*\`, \`_\`) in a body`,
          { ...base, messageId: m.id, line: m.line },
        ),
      ];
    }
  }
  const children = parseMarkdown(text).children;
  const findings: ReaderProblem[] = [];
  let c = 0;
  const disagree = (what: string, at: number, messageId?: string) => {
    findings.push(
      problem('messages', 'ambiguous', `expected ${what}, but a markdown reader finds ${describe(children[c])} there`, {
        ...base,
        ...(messageId ? { messageId } : {}),
        line: lineAt(text, at),
      }),
    );
  };
  const h1 = children[c];
  if (!h1 || h1.type !== 'heading' || h1.depth !== 1 || start(h1) !== 0 || inlineText(h1.children) !== 'Messages') {
    disagree('the `# Messages` heading', 0);
    return findings;
  }
  c++;
  for (const [i, m] of messages.entries()) {
    const where = { ...base, messageId: m.id };
    if (i > 0) {
      const hr = children[c];
      if (!hr || hr.type !== 'thematicBreak' || start(hr) !== m.sepStart + 1)
        return (disagree('the `---` separator', m.sepStart + 1, m.id), findings);
      c++;
    }
    const h2 = children[c];
    if (
      !h2 ||
      h2.type !== 'heading' ||
      h2.depth !== 2 ||
      start(h2) !== m.start ||
      inlineText(h2.children) !== 'Message'
    ) {
      return (disagree('the `## Message` heading', m.start, m.id), findings);
    }
    c++;
    const fields = children[c];
    const expected = renderFields(m).slice(0, -1).replaceAll('  \n', '\n');
    if (
      !fields ||
      fields.type !== 'paragraph' ||
      start(fields) !== m.fieldsStart ||
      inlineText(fields.children) !== expected
    ) {
      const nameHint =
        fields?.type === 'paragraph'
          ? ' (an author name must read as plain text: no `*`, `_`, `<`, `[`, `\\` or `&` markup)'
          : '';
      return (disagree(`the field lines exactly as written${nameHint}`, m.fieldsStart, m.id), findings);
    }
    c++;
    const body: RootContent[] = [];
    const limit = messages[i + 1]?.sepStart ?? text.length;
    while (c < children.length && start(children[c]!) < limit) body.push(children[c++]!);
    findings.push(...bodyProblems(text, body, where));
    const first = body[0];
    const last = body[body.length - 1];
    if (!first || !last || text.slice(m.bodyStart, start(first)).trim() !== '' || end(last) > m.bodyEnd) {
      const at = last && end(last) > m.bodyEnd ? m.bodyEnd : m.bodyStart;
      if (findings.length === 0) disagree('the body to end where the next message starts', at, m.id);
      return findings;
    }
  }
  if (c < children.length) disagree('the end of the file', start(children[c]!));
  return findings;
}

/** A node as named in a refusal. */
function describe(n: RootContent | undefined): string {
  if (!n) return 'nothing';
  if (n.type === 'heading') return `a level-${n.depth} heading`;
  return (
    {
      thematicBreak: 'a thematic break',
      paragraph: 'a paragraph',
      code: 'a code block',
      html: 'raw HTML',
      list: 'a list',
      blockquote: 'a block quote',
      definition: 'a link reference definition',
    }[n.type as string] ?? `a ${n.type}`
  );
}
