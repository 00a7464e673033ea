// The pages of the web view as HTML text (server/web/): what they show, what they never hold,
// the headers they go with, and their URLs. The same pages in a real browser: browser.test.ts.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { MessageId, RecordId, ThreadId, Timestamp } from '../../core/ids.js';
import type { Ledger } from '../../core/ledger.js';
import type { Message } from '../../core/messages/grammar.js';
import type { CoordinationStatus } from '../../core/status.js';
import * as web from '../../server/web/index.js';
import {
  contentSecurityPolicy,
  cspDirectives,
  pageHeaders,
  parseWebPath,
  renderArchivedPage,
  renderErrorPage,
  renderMessages,
  renderRecordPage,
  renderThreadPage,
  webPaths,
  type RecordSummary,
  type ThreadSummary,
} from '../../server/web/index.js';
import { fixtureText, root } from '../helpers/fixtures.js';
import { jane, john, tom } from '../helpers/people.js';

const record = '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as RecordId;
const ledger = JSON.parse(fixtureText('spec-ledger.json')) as Ledger;
const messages = JSON.parse(fixtureText('spec-messages.json')) as Message[];
const context = { viewer: 'jane', at: '2026-01-11T15:00:00.000Z' as Timestamp };
const status: CoordinationStatus = JSON.parse(fixtureText('spec-status.json')) as CoordinationStatus;

/** A thread summary as GET /api/records/<id> gives it. */
function summary(
  n: number,
  s: ThreadSummary['status'],
  updated: string,
  extra: Partial<ThreadSummary> = {},
): ThreadSummary {
  const at = `2026-01-1${n}T09:00:00.000Z` as Timestamp;
  return {
    thread_id: `2026011${n}T090000.000Z-550e8400-e29b-41d4-a716-44665544000${n}` as ThreadId,
    status: s,
    created_at: at,
    last_updated_at: updated as Timestamp,
    participants: [jane, tom],
    visibility: { sensitivity: 'standard', restricted: false },
    message_count: n,
    ...extra,
  };
}

const recordSummary: RecordSummary = {
  coordination_id: record,
  status,
  threads: [
    summary(1, 'open', '2026-01-11T10:00:00.000Z'),
    summary(2, 'closed', '2026-01-15T10:00:00.000Z', { visibility: { sensitivity: 'confidential', restricted: true } }),
    summary(3, 'archived', '2026-01-16T10:00:00.000Z', { participants: [jane, john] }),
    summary(4, 'open', '2026-01-14T10:00:00.000Z'),
  ],
};

/** Message of the thread fixture with new values. */
function message(over: Omit<Partial<Message>, 'id'> & { id: string }): Message {
  return { ...messages[0]!, ...over, id: over.id as MessageId };
}

t.test('the web view exports its renderers, headers and paths', async (t) => {
  t.same(Object.keys(web).sort(), [
    'bodySchema',
    'contentSecurityPolicy',
    'cspDirectives',
    'css',
    'isSafeUrl',
    'linkProtocols',
    'linkRel',
    'pageHeaders',
    'parseWebPath',
    'renderArchivedPage',
    'renderBody',
    'renderErrorPage',
    'renderMessages',
    'renderPage',
    'renderRecordPage',
    'renderThreadPage',
    'styleHash',
    'webPaths',
  ]);
});

t.test('pages are sent with a strict Content-Security-Policy and the headers of clinical content', async (t) => {
  t.same(Object.fromEntries(cspDirectives), {
    'default-src': "'none'",
    'script-src': "'none'",
    'style-src': web.styleHash,
    'img-src': "'none'",
    'form-action': "'none'",
    'frame-ancestors': "'none'",
    'base-uri': "'none'",
  });
  t.match(
    contentSecurityPolicy,
    /^default-src 'none'; script-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; img-src 'none'; /,
  );
  const headers = pageHeaders();
  t.match(headers, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  t.notOk('Strict-Transport-Security' in headers, 'no HSTS over plain HTTP');
  t.equal(pageHeaders({ tls: true })['Strict-Transport-Security'], 'max-age=31536000');
  headers['Cache-Control'] = 'public';
  t.equal(pageHeaders()['Cache-Control'], 'no-store', 'each call gives its own object');
});

t.test('the one inline style sheet is exactly the one the policy allows by hash', async (t) => {
  const pages = [
    renderThreadPage({ record, ledger, messages }),
    renderRecordPage(recordSummary),
    renderErrorPage('Not found', 'x'),
  ];
  for (const html of pages) {
    const styles = [...html.matchAll(/<style>([^]*?)<\/style>/g)].map((m) => m[1]!);
    t.equal(styles.length, 1, 'one style element');
    t.equal(`'sha256-${createHash('sha256').update(styles[0]!).digest('base64')}'`, web.styleHash);
    t.notMatch(
      html,
      /<(script|img|link|iframe|form|object|embed|base)\b|\sstyle=|\son\w+=/i,
      'nothing that loads, runs or escapes the policy',
    );
    t.match(html, /^<!doctype html><html lang="en"><head><meta charset="utf-8">/);
  }
});

t.test('a thread page shows its state, participants and messages in order, corrections beside them', async (t) => {
  const reply = message({
    id: 'aa2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c10',
    authorId: tom.participant_id,
    author: tom.display_name,
    timestamp: '2026-01-11T14:50:00.000Z' as Timestamp,
    body: 'Reviewed: no change.',
  });
  const all = [...messages, reply];
  const html = renderThreadPage({ record, ledger, messages: all }, context);
  t.match(html, '<title>Thread started 11 Jan 2026, 14:35 UTC — CCR</title>');
  t.match(html, '<li><bdi>Dr Jane Smith</bdi> — Clinician</li>');
  t.match(html, '<h2 id="messages">Messages (3)</h2>');
  const at = (m: Message) => html.indexOf(`<article id="m-${m.id}"`);
  const [first, correction] = messages as [Message, Message];
  t.ok(
    at(first) > 0 && at(first) < at(correction) && at(correction) < at(reply),
    'in order, the correction right under its target',
  );
  const firstArticle = html.slice(at(first), at(reply));
  t.match(
    firstArticle,
    '<ol class="corrections" aria-label="Corrections of Dr Jane Smith&#x27;s message">',
    'nested in the target',
  );
  t.match(firstArticle, '<span class="note">corrected below</span>');
  t.match(html, `<a href="#m-${first.id}">corrects Dr Jane Smith's message of 11 Jan 2026, 14:36 UTC</a>`);
  t.match(
    html,
    '<time datetime="2026-01-11T14:36:15.234Z" title="2026-01-11T14:36:15.234Z">' + '11 Jan 2026, 14:36 UTC</time>',
  );
  t.match(
    html,
    'Shown to <bdi>jane</bdi> at <time datetime="2026-01-11T15:00:00.000Z">' + '11 Jan 2026, 15:00 UTC</time>.',
  );
  t.match(html, `<a href="${webPaths.record(record)}">Record</a>`);
});

t.test('a correction of a message not in the thread stays in its place and says so', async (t) => {
  const orphan = message({
    id: 'bb2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c10',
    type: 'correction',
    corrects: 'cc2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c10' as MessageId,
  });
  const html = renderThreadPage({ record, ledger, messages: [messages[0]!, orphan] });
  t.match(html, 'corrects message cc2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c10, which is not in this thread');
  t.notMatch(html, 'class="corrections"');
});

t.test('a thread page flags sensitivity, restriction and a closed or archived state', async (t) => {
  const visibility = { sensitivity: 'restricted', restricted: true } as const;
  const archived = renderThreadPage({ record, ledger: { ...ledger, status: 'archived', visibility }, messages: [] });
  t.match(
    archived,
    '<li>Status: Archived</li><li class="flag">Sensitivity: Restricted</li>' + '<li class="flag">Restricted</li>',
  );
  t.match(archived, 'This thread is archived: it no longer changes.');
  t.match(
    archived,
    `<a href="${webPaths.archived(record)}">Archived threads</a>`,
    'the trail goes through the archived list',
  );
  t.match(archived, '<p>No messages yet.</p>');
  t.match(
    renderThreadPage({ record, ledger: { ...ledger, status: 'closed' }, messages }),
    'This thread is closed: it takes no new messages.',
  );
});

t.test('the record page lists open and closed threads, most recent first, links to the archived ones', async (t) => {
  const html = renderRecordPage(recordSummary, context);
  const links = [...html.matchAll(/<a href="\/records\/[^"]+\/threads\/([^"]+)">/g)].map((m) => m[1]!.slice(0, 8));
  t.same(links, ['20260112', '20260114', '20260111'], 'by last update, archived left out');
  t.match(html, '<h2 id="threads">Threads (3)</h2>');
  t.match(html, `<a href="${webPaths.archived(record)}">Archived threads (1)</a>`);
  t.match(html, '<li class="flag">Sensitivity: Confidential</li><li class="flag">Restricted</li>');
  t.match(html, 'Participants: <bdi>Dr Jane Smith</bdi>, <bdi>Dr Tom Patel</bdi>');
  t.match(html, '2 messages · last updated');
  t.match(html, '1 message · last updated');
  t.match(html, `<dt>Record</dt><dd><code>${record}</code></dd>`);
  t.match(html, '<dt>Lifecycle</dt><dd>Active</dd>');
  const none = renderRecordPage({ ...recordSummary, threads: [] });
  t.match(none, '<p>No open or closed threads.</p>');
  t.match(none, '<p>No archived threads.</p>');
});

t.test('the archived page lists only archived threads and links back', async (t) => {
  const html = renderArchivedPage(recordSummary);
  const links = [...html.matchAll(/\/threads\/([^"]+)">/g)].map((m) => m[1]!.slice(0, 8));
  t.same(links, ['20260113']);
  t.match(html, 'Participants: <bdi>Dr Jane Smith</bdi>, <bdi>John Doe</bdi>');
  t.match(html, `<a href="${webPaths.record(record)}">Back to the record</a>`);
});

t.test('text from the record is escaped, and characters a reader cannot see are shown as marks', async (t) => {
  const hostileName = 'Dr <b>Evil</b> \u202Eesrever\u202C & "co"';
  const html = renderThreadPage({
    record,
    messages: [message({ id: messages[0]!.id, author: hostileName, body: 'zero\u200Bwidth' })],
    ledger: { ...ledger, participants: [{ ...jane, display_name: hostileName }] },
  });
  t.notMatch(html, /[\u202E\u202C\u200B]/, 'no invisible character is passed through');
  t.match(html, '<span class="hidden-char" title="hidden character U+202E">U+202E</span>');
  t.match(html, 'zero<span class="hidden-char" title="hidden character U+200B">U+200B</span>width');
  t.match(html, '<bdi>Dr &#x3C;b>Evil&#x3C;/b> ');
  t.notMatch(html, '<b>');
});

t.test('an error page says what happened, with the same frame and no script', async (t) => {
  const html = renderErrorPage('Not found', 'There is no record 7f4c… you may read.');
  t.match(html, '<main id="content"><h1>Not found</h1><p>There is no record 7f4c… you may read.</p></main>');
  t.notMatch(html, /<script/);
});

t.test('web paths: made by webPaths, read back by parseWebPath, nothing else is a page', async (t) => {
  const thread = ledger.thread_id;
  t.same(parseWebPath(webPaths.record(record)), { page: 'record', record });
  t.same(parseWebPath(webPaths.archived(record)), { page: 'archived', record });
  t.same(parseWebPath(webPaths.thread(record, thread)), { page: 'thread', record, thread });
  for (const bad of [
    '/records',
    '/records/',
    `/records/${record}/`,
    `/records/${record.toUpperCase()}`,
    `/records/{${record}}`,
    `/records/${record}/threads`,
    `/records/${record}/threads/`,
    `/records/${record}/threads/${thread}/`,
    `/records/${record}/threads/${thread.toLowerCase().replace('t', 'x')}`,
    `/records/${record}/threads/../archived`,
    `/records/${record}/archived/x`,
    `/records/${record}%2Farchived`,
    `//records/${record}`,
    `/api/records/${record}`,
    `records/${record}`,
    `/records/${record}/threads/20261311T143522.045Z-${record}`,
  ])
    t.equal(parseWebPath(bad), null, bad);
});

t.test('the thread page of the SPEC example matches its golden file', async (t) => {
  const golden = join(root, 'test', 'fixtures', 'spec-thread.html');
  const html = renderThreadPage({ record, ledger, messages }, context);
  // CCR_UPDATE_GOLDEN=1 writes the file anew after a deliberate change of the page.
  if (process.env['CCR_UPDATE_GOLDEN'] === '1') writeFileSync(golden, html);
  t.equal(html, fixtureText('spec-thread.html'));
});

t.test('a thread page from messages rendered beforehand (as the reader threads do) is the same page', async (t) => {
  const rendered = renderMessages(messages);
  t.equal(rendered.count, messages.length);
  t.equal(
    renderThreadPage({ record, ledger, messages: structuredClone(rendered) }, context),
    renderThreadPage({ record, ledger, messages }, context),
  );
  t.equal(
    renderThreadPage({ record, ledger, messages: renderMessages([]) }),
    renderThreadPage({ record, ledger, messages: [] }),
  );
});
