// One thread as a page: its state, participants and messages in order, each correction shown
// beside (under) the message it corrects rather than in its own place further down.

import type { Element, ElementContent } from 'hast';
import { toHtml } from 'hast-util-to-html';
import { h } from 'hastscript';
import type { RecordId } from '../../core/ids.js';
import type { Ledger } from '../../core/ledger.js';
import type { Message } from '../../core/messages/grammar.js';
import { renderBody } from './body.js';
import { formatTime, name, revealHidden, timeElement, word, yesNo } from './format.js';
import { renderPage, type PageContext } from './page.js';
import { webPaths } from './paths.js';

/** The messages of a thread rendered: how many, and their list as an HTML fragment. */
export interface RenderedMessages {
  count: number;
  html: string;
}

/**
 * What a thread page shows: the ledger and the messages in file order (service readThread), or
 * those messages already rendered (the server renders them on a reader thread, once per file).
 */
export interface ThreadView {
  record: RecordId;
  ledger: Ledger;
  messages: readonly Message[] | RenderedMessages;
}

/** The status, sensitivity and restricted flag as a row of labels. */
export function threadTags(status: Ledger['status'], visibility: Ledger['visibility']): Element {
  return h('ul', { className: ['tags'], ariaLabel: 'Thread state' }, [
    h('li', `Status: ${word(status)}`),
    h(
      'li',
      visibility.sensitivity === 'standard' ? {} : { className: ['flag'] },
      `Sensitivity: ${word(visibility.sensitivity)}`,
    ),
    ...(visibility.restricted ? [h('li', { className: ['flag'] }, 'Restricted')] : []),
  ]);
}

const anchor = (m: Message) => `m-${m.id}`;

/** The line under a message's author: its type, its time, and what it corrects. */
function meta(m: Message, target: Message | undefined, corrected: boolean): Element {
  const parts: ElementContent[] = [{ type: 'text', value: `${word(m.type)} · ` }, timeElement(m.timestamp)];
  if (m.corrects !== undefined) {
    parts.push(
      { type: 'text', value: ' · ' },
      target
        ? h(
            'a',
            { href: `#${anchor(target)}` },
            `corrects ${target.author}'s message of ${formatTime(target.timestamp)}`,
          )
        : h('span', { className: ['note'] }, `corrects message ${m.corrects}, which is not in this thread`),
    );
  }
  if (corrected) parts.push({ type: 'text', value: ' · ' }, h('span', { className: ['note'] }, 'corrected below'));
  return h('p', { className: ['meta'] }, parts);
}

/** A message with the corrections of it (and of them) nested under it. */
function article(m: Message, byId: ReadonlyMap<string, Message>, corrections: ReadonlyMap<string, Message[]>): Element {
  const below = corrections.get(m.id) ?? [];
  const target = m.corrects !== undefined ? byId.get(m.corrects) : undefined;
  return h(
    'article',
    {
      id: anchor(m),
      className: ['message', m.type],
      ariaLabelledBy: `${anchor(m)}-by`,
    },
    [
      h('h3', { id: `${anchor(m)}-by` }, name(m.author)),
      meta(m, target, below.length > 0),
      h('div', { className: ['body'], dir: 'auto' }, renderBody(m.body)),
      ...(below.length
        ? [
            h(
              'ol',
              { className: ['corrections'], ariaLabel: `Corrections of ${m.author}'s message` },
              below.map((c) => h('li', article(c, byId, corrections))),
            ),
          ]
        : []),
    ],
  );
}

/** The messages, each correction under what it corrects (a correction of nothing here stays in place). */
export function messageList(messages: readonly Message[]): Element {
  const byId = new Map(messages.map((m) => [m.id as string, m]));
  const corrections = new Map<string, Message[]>();
  for (const m of messages) {
    if (m.corrects !== undefined && byId.has(m.corrects) && m.corrects !== m.id) {
      corrections.set(m.corrects, [...(corrections.get(m.corrects) ?? []), m]);
    }
  }
  const top = messages.filter((m) => m.corrects === undefined || !byId.has(m.corrects) || m.corrects === m.id);
  return h(
    'ol',
    { className: ['messages'] },
    top.map((m) => h('li', article(m, byId, corrections))),
  );
}

/**
 * The messages as an HTML fragment: the costly part of a thread page (every body goes through
 * markdown and the sanitiser), a function of the messages alone, so it can be made off the
 * event loop and kept by the id of its file.
 */
export function renderMessages(messages: readonly Message[]): RenderedMessages {
  const list = messages.length ? messageList(messages) : h('p', 'No messages yet.');
  return { count: messages.length, html: toHtml(revealHidden([list])) };
}

function details(l: Ledger): Element {
  const row = (term: string, value: ElementContent | string) => [h('dt', term), h('dd', value)];
  return h('dl', [
    ...row('Thread', h('code', l.thread_id)),
    ...row('Started', timeElement(l.created_at)),
    ...row('Last updated', timeElement(l.last_updated_at)),
    ...row('Sensitivity', word(l.visibility.sensitivity)),
    ...row('Restricted', yesNo(l.visibility.restricted)),
    ...row('Patient participation', l.policies.allow_patient_participation ? 'allowed' : 'not allowed'),
    ...row('External organisations', l.policies.allow_external_organisations ? 'allowed' : 'not allowed'),
  ]);
}

const stateNote: Record<Ledger['status'], string | null> = {
  open: null,
  closed: 'This thread is closed: it takes no new messages.',
  archived: 'This thread is archived: it no longer changes.',
};

/** The page of one thread. */
export function renderThreadPage(view: ThreadView, context?: PageContext): string {
  const l = view.ledger;
  const title = `Thread started ${formatTime(l.created_at)}`;
  const note = stateNote[l.status];
  const rendered = 'html' in view.messages ? view.messages : renderMessages(view.messages as readonly Message[]);
  const main: ElementContent[] = [
    h('h1', title),
    threadTags(l.status, l.visibility),
    ...(note ? [h('p', { className: ['note'] }, note)] : []),
    h('section', { ariaLabelledBy: 'participants' }, [
      h('h2', { id: 'participants' }, `Participants (${l.participants.length})`),
      h(
        'ul',
        l.participants.map((p) => h('li', [name(p.display_name), ` — ${word(p.role)}`])),
      ),
    ]),
    h('section', { ariaLabelledBy: 'messages' }, [
      h('h2', { id: 'messages' }, `Messages (${rendered.count})`),
      // Serialised by the same serialiser from the sanitised tree: the page's only raw node.
      { type: 'raw', value: rendered.html },
    ]),
    h('section', { ariaLabelledBy: 'details' }, [h('h2', { id: 'details' }, 'Details'), details(l)]),
  ];
  const crumbs = [
    { label: 'Record', href: webPaths.record(view.record) },
    ...(l.status === 'archived' ? [{ label: 'Archived threads', href: webPaths.archived(view.record) }] : []),
    { label: title },
  ];
  return renderPage({ title, crumbs, main, ...(context ? { context } : {}) });
}
