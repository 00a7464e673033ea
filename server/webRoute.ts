// The read-only web view served (issue 16): a record, its archived threads and one thread as
// pages, read with the rights of the JSON API (the same record check, the same reader threads and
// cache) and, for a participant, from its view (SPEC 12, server/views.ts) exactly as its git
// reads and its JSON summary; rendered by server/web/ and sent with its security headers. Errors
// are pages too, with the same headers, no clinical content and no stack.

import type { ServerResponse } from 'node:http';
import { ThreadNotFound } from '../core/errors.js';
import { formatTimestamp, type RecordId, type ThreadId } from '../core/ids.js';
import type { Principal } from '../core/principal.js';
import { readAs, recordSummaryRoute } from './api.js';
import type { ServerContext } from './context.js';
import {
  pageHeaders,
  renderArchivedPage,
  renderErrorPage,
  renderRecordPage,
  renderThreadPage,
  type RecordSummary,
  type ThreadView,
  type WebPage,
} from './web/index.js';

/** The HTML of a page the principal asked for; throws the errors of the JSON API (404 and the like). */
export async function webRoute(ctx: ServerContext, p: Principal, page: WebPage): Promise<string> {
  const context = { viewer: p.name, at: formatTimestamp(Date.now()) };
  if (page.page === 'thread') return renderThreadPage(await threadView(ctx, p, page.record, page.thread), context);
  // The JSON summary, which for a participant is already the summary of its view.
  const summary = (await recordSummaryRoute(ctx, p, page.record)).body as RecordSummary;
  return page.page === 'record' ? renderRecordPage(summary, context) : renderArchivedPage(summary, context);
}

/** A thread as the principal reads the record (main whole, or its view), else ThreadNotFound. */
async function threadView(ctx: ServerContext, p: Principal, id: RecordId, thread: ThreadId): Promise<ThreadView> {
  const { head, read } = await readAs(ctx, p, id);
  const files = (await read('record-tree', head))?.threads.find((t) => t.id === thread);
  const ledger = files?.ledger ? await read('ledger', files.ledger) : null;
  // A thread outside the reader's view answers exactly as one that is not there: nothing of it shows.
  const hidden = () => new ThreadNotFound(`no thread ${thread} in record ${id}`, { threadId: thread });
  if (!files?.messages || !ledger) throw hidden();
  const messages = await read('message-list', files.messages);
  if (!messages) throw hidden();
  return { record: id, ledger, messages };
}

/** What an error page says, by status: fixed words, never the record's content or the error's text. */
const errorWords: Record<number, readonly [string, string]> = {
  401: [
    'Sign-in required',
    'Sign in with your CCR principal name and token (as user name and password) to read this page.',
  ],
  403: ['Not allowed', 'You may not read this page.'],
  404: ['Not found', 'There is no such page, or you may not read it.'],
  405: ['Method not allowed', 'The pages of a record are only read (GET).'],
  503: ['Busy', 'The server is busy; try again in a moment.'],
};

/** The page of an error status; a server fault names the request id for the operator. */
export function webErrorPage(status: number, requestId: string): string {
  const fault = ['Something went wrong', `The page could not be made (request ${requestId}).`] as const;
  const [title, message] = errorWords[status] ?? (status >= 500 ? fault : ['Not shown', 'This page cannot be shown.']);
  return renderErrorPage(title, message);
}

/** Send a page of the web view with its security headers (and any extra, such as a sign-in challenge). */
export function sendPage(
  ctx: ServerContext,
  res: ServerResponse,
  status: number,
  html: string,
  extra: Record<string, string> = {},
): void {
  const tls = ctx.baseUrl.startsWith('https:');
  res.writeHead(status, { ...pageHeaders({ tls }), 'Content-Length': String(Buffer.byteLength(html)), ...extra });
  res.end(html);
}
