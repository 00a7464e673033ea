// The frame of every page: document head, banner with breadcrumbs, main content, footer. The
// page is built as a syntax tree and serialised once, so no text from a record is ever pasted
// into markup: the serialiser escapes it.

import type { ElementContent, Root } from 'hast';
import { toHtml } from 'hast-util-to-html';
import { h } from 'hastscript';
import type { Timestamp } from '../../core/ids.js';
import { formatTime, revealHidden } from './format.js';
import { css } from './style.js';

/** Who a page is shown to and when, printed in its footer (a printed page says it). */
export interface PageContext {
  /** The principal reading. */
  viewer?: string;
  /** When the page was made (the route's clock). */
  at?: Timestamp;
}

/** One step of the breadcrumb trail; the last one is the page itself and has no link. */
export interface Crumb {
  label: string;
  href?: string;
}

/** What a page is made of. */
export interface PageParts {
  title: string;
  crumbs: readonly Crumb[];
  main: ElementContent[];
  context?: PageContext;
}

const PRODUCT = 'CCR — Care Coordination Repository';

function footer(context: PageContext): ElementContent[] {
  const shown = [
    context.viewer !== undefined ? ['Shown to ', h('bdi', context.viewer)] : [],
    context.at !== undefined ? [' at ', h('time', { dateTime: context.at }, formatTime(context.at))] : [],
  ].flat();
  return [
    h(
      'p',
      'Read-only view. Messages are never edited or deleted: ' + 'an error is fixed by a correction, shown beside it.',
    ),
    ...(shown.length ? [h('p', [...shown, '.'])] : []),
  ];
}

/** A complete HTML document: no script, one inline style sheet, nothing loaded from anywhere. */
export function renderPage(parts: PageParts): string {
  const crumbs = parts.crumbs.map((c, i) => {
    const last = i === parts.crumbs.length - 1;
    const linked = c.href !== undefined && !last;
    return h('li', linked ? h('a', { href: c.href }, c.label) : h('span', { ariaCurrent: 'page' }, c.label));
  });
  const body = h('body', [
    h('a', { className: ['skip'], href: '#content' }, 'Skip to content'),
    h('header', [h('p', PRODUCT), h('nav', { ariaLabel: 'Breadcrumb' }, h('ol', crumbs))]),
    h('main', { id: 'content' }, parts.main),
    h('footer', footer(parts.context ?? {})),
  ]);
  const html = h('html', { lang: 'en' }, [
    h('head', [
      h('meta', { charSet: 'utf-8' }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('meta', { name: 'referrer', content: 'no-referrer' }),
      h('meta', { name: 'robots', content: 'noindex, nofollow' }),
      h('title', `${parts.title} — CCR`),
      h('style', css),
    ]),
    ...revealHidden([body]),
  ]);
  const tree: Root = { type: 'root', children: [{ type: 'doctype' }, html] };
  // Raw nodes are only ever the message lists of renderMessages, serialised from a sanitised tree.
  return toHtml(tree, { allowDangerousHtml: true });
}

/** A page that says why there is nothing to show (not found, not allowed, busy). */
export function renderErrorPage(title: string, message: string, context?: PageContext): string {
  const main = [h('h1', title), h('p', message)];
  return renderPage({ title, crumbs: [{ label: title }], main, ...(context ? { context } : {}) });
}
