// The body renderer: turns what a person typed into a body that keeps the file's structure, by
// escaping what a markdown reader would take as structure. "## Plan", "BP <120/80" and a line of
// dashes are kept and shown as written. Invisible text is refused here with the validator's rule
// id; what else cannot be made safe is left for the validator to refuse.

import type { Nodes, Root } from 'mdast';
import { RuleViolation } from '../errors.js';
import { problem } from '../problems.js';
import { reportReaderProblems } from '../rules/readerRules.js';
import { NOTHING_VISIBLE, hasVisibleChar, scanText } from '../text.js';
import { messageLimits } from './grammar.js';
import {
  FIELD_LABEL,
  emphasisMarkers,
  fenceClosed,
  openingFence,
  parseMarkdown,
  shownTextProblems,
  sourceLines,
} from './markdown.js';

/** One edit: insert text at an offset. */
interface Insert {
  at: number;
  text: string;
}

/** The inserts that neutralise structure in one reading (`root`) of the body. */
function structuralInserts(body: string, root: Root): Insert[] {
  const inserts: Insert[] = [];
  const escapeAt = (offset: number | undefined) => {
    if (offset === undefined) return;
    let at = offset;
    while (body[at] === ' ' || body[at] === '\t') at++;
    inserts.push({ at, text: '\\' });
  };
  const lineStart = (offset: number) => body.lastIndexOf('\n', offset - 1) + 1;
  const visit = (n: Nodes, top: boolean) => {
    const from = n.position?.start.offset;
    const to = n.position?.end.offset;
    if (n.type === 'heading' && top && n.depth <= 2 && from !== undefined && to !== undefined) {
      const source = body.slice(from, to);
      // ATX headings start with '#'; setext headings are recognised by their underline.
      if (source.trimStart().startsWith('#')) escapeAt(from);
      else escapeAt(lineStart(to));
    } else if ((n.type === 'thematicBreak' && top) || n.type === 'html' || n.type === 'definition') {
      escapeAt(from);
    } else if (n.type === 'code' && top && from !== undefined && to !== undefined) {
      const source = body.slice(from, to);
      const fence = openingFence(source);
      if (fence && !fenceClosed(source)) inserts.push({ at: body.length, text: '\n' + fence });
    }
    if (n.type === 'paragraph' && from !== undefined && to !== undefined) {
      for (const { at, text } of sourceLines(body, from, to)) {
        if (FIELD_LABEL.test(text)) {
          const star = at + text.indexOf('**');
          inserts.push({ at: star, text: '\\' }, { at: star + 1, text: '\\' });
        }
      }
    }
    if ('children' in n) for (const c of n.children) visit(c as Nodes, false);
  };
  for (const n of root.children) visit(n, true);
  return inserts;
}

/** Normalise line endings to LF and drop blank lines at the start and end. */
export function normaliseBody(input: string): string {
  return input
    .replace(/\r\n?/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/(?:\n[ \t]*)+$/, '')
    .replace(/^[ \t]+$/, '');
}

/**
 * Render typed text as a message body: line endings normalised, outer blank lines dropped, and
 * structure escaped (`\## Plan`, `\---`, `\<div>`, `\[x]: y`, a closing fence for an open one)
 * until a markdown reading of it finds none. Forbidden or only invisible characters (also when
 * written as character references) are refused with a RuleViolation of `ccr/message-chars`, as
 * the validator would; other text that cannot be made safe this way (very deep nesting) is
 * returned as is for the validator to refuse with a reason. Blank input renders empty.
 */
export function renderBody(input: string): string {
  let body = normaliseBody(input);
  const chars = scanText(body, { maxLine: Infinity }).map((p) =>
    problem('messages', 'chars', p.message, { line: p.line }),
  );
  if (chars.length > 0) throw new RuleViolation(reportReaderProblems(chars));
  if (body === '') return body;
  if (!hasVisibleChar(body))
    throw new RuleViolation(reportReaderProblems([problem('messages', 'chars', NOTHING_VISIBLE)]));
  if (emphasisMarkers(body) > messageLimits.emphasisMarkers) return body;
  for (let round = 0; round < 8; round++) {
    const root = parseMarkdown(body);
    const inserts = structuralInserts(body, root);
    if (inserts.length === 0) {
      const shown = shownTextProblems(body, root.children, {});
      if (shown.length > 0) throw new RuleViolation(reportReaderProblems(shown));
      break;
    }
    const unique = [...new Map(inserts.map((i) => [`${i.at}:${i.text}`, i])).values()].sort((a, b) => b.at - a.at);
    for (const { at, text } of unique) body = body.slice(0, at) + text + body.slice(at);
  }
  return body;
}
