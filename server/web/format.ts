// How values read on a page: times in UTC for every reader alike (a server knows no reader's
// zone, and a clinical record must read the same to all), vocabulary as words, names kept
// apart from their surroundings so that right-to-left text cannot reorder a line.

import type { Element, ElementContent } from 'hast';
import { h } from 'hastscript';
import type { Timestamp } from '../../core/ids.js';
import { FORBIDDEN_CHARS } from '../../core/text.js';
import type { MessageType, Role, Sensitivity, ThreadStatus } from '../../core/vocabulary.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-01-11T14:36:15.234Z` as `11 Jan 2026, 14:36 UTC`. */
export function formatTime(ts: Timestamp): string {
  const [, y, mo, d, hh, mi] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(ts) ?? [];
  return `${Number(d)} ${MONTHS[Number(mo) - 1] ?? mo} ${y}, ${hh}:${mi} UTC`;
}

/** A `<time>` element: the readable time, the exact timestamp for machines and in the tooltip. */
export function timeElement(ts: Timestamp): Element {
  return h('time', { dateTime: ts, title: ts }, formatTime(ts));
}

/** Words for the vocabulary of SPEC 4–6. */
const words: Record<Role | MessageType | ThreadStatus | Sensitivity, string> = {
  clinician: 'Clinician',
  careadministrator: 'Care administrator',
  patient: 'Patient',
  patientassociate: 'Patient associate',
  system: 'System',
  correction: 'Correction',
  open: 'Open',
  closed: 'Closed',
  archived: 'Archived',
  standard: 'Standard',
  confidential: 'Confidential',
  restricted: 'Restricted',
};

/** The word for a role, message type, thread status or sensitivity. */
export function word(value: Role | MessageType | ThreadStatus | Sensitivity): string {
  return words[value];
}

/** A name or other text from a record, isolated for bidirectional text. */
export function name(text: string): Element {
  return h('bdi', text);
}

/** `yes` / `no`. */
export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN_CHARS.source, 'gu');

/**
 * Characters a reader cannot see (SPEC 4 refuses them in files, so only a record that bypassed
 * the rules has them) are shown as a visible mark with their code point, never passed through.
 */
export function revealHidden(nodes: ElementContent[]): ElementContent[] {
  const out: ElementContent[] = [];
  for (const node of nodes) {
    if (node.type === 'element') {
      // The style sheet is our own text, and its hash must not change.
      if (node.tagName !== 'style') node.children = revealHidden(node.children);
      out.push(node);
      continue;
    }
    if (node.type !== 'text' || !FORBIDDEN_CHARS.test(node.value)) {
      out.push(node);
      continue;
    }
    let last = 0;
    for (const m of node.value.matchAll(FORBIDDEN_GLOBAL)) {
      if (m.index > last) out.push({ type: 'text', value: node.value.slice(last, m.index) });
      const cp = `U+${(m[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
      out.push(h('span', { className: ['hidden-char'], title: `hidden character ${cp}` }, cp));
      last = m.index + m[0].length;
    }
    if (last < node.value.length) out.push({ type: 'text', value: node.value.slice(last) });
  }
  return out;
}
