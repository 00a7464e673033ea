// A record as a page: its status and its threads, the archived ones on a page of their own
// behind a link. The input is the summary `GET /api/records/<id>` answers (already cut to the
// reader's view), so the page and the API show the same threads.

import type { Element, ElementContent } from 'hast';
import { h } from 'hastscript';
import type { RecordId, ThreadId, Timestamp } from '../../core/ids.js';
import type { Participant, Visibility } from '../../core/ledger.js';
import type { CoordinationStatus } from '../../core/status.js';
import type { ThreadStatus } from '../../core/vocabulary.js';
import { formatTime, name, timeElement, yesNo } from './format.js';
import { renderPage, type PageContext } from './page.js';
import { webPaths } from './paths.js';
import { threadTags } from './threadPage.js';

/** One thread of a record summary (the JSON API's shape). */
export interface ThreadSummary {
  thread_id: ThreadId;
  status: ThreadStatus;
  created_at: Timestamp;
  last_updated_at: Timestamp;
  participants: readonly Participant[];
  visibility: Visibility;
  message_count: number;
}

/** A record summary (the JSON API's shape). */
export interface RecordSummary {
  coordination_id: RecordId;
  status: CoordinationStatus;
  threads: readonly ThreadSummary[];
}

const lifecycleWords: Record<CoordinationStatus['status']['lifecycle_state'], string> = {
  active: 'Active',
  suspended: 'Suspended',
  closed: 'Closed',
};

function statusFacts(s: CoordinationStatus): Element {
  const row = (term: string, value: ElementContent | string) => [h('dt', term), h('dd', value)];
  return h('dl', [
    ...row('Record', h('code', s.coordination_id)),
    ...row('Clinical record', h('code', s.clinical_id)),
    ...row('Lifecycle', lifecycleWords[s.status.lifecycle_state]),
    ...row('Open for new threads and messages', yesNo(s.status.record_open)),
    ...row('Modifiable', yesNo(s.status.record_modifiable)),
    ...row('Queryable', yesNo(s.status.record_queryable)),
  ]);
}

/** Most recently active first; threads updated at the same moment by id (oldest first). */
function byActivity(a: ThreadSummary, b: ThreadSummary): number {
  if (a.last_updated_at !== b.last_updated_at) return a.last_updated_at < b.last_updated_at ? 1 : -1;
  return a.thread_id < b.thread_id ? -1 : a.thread_id > b.thread_id ? 1 : 0;
}

function threadItem(record: RecordId, t: ThreadSummary): Element {
  const people = t.participants.flatMap((p, i) => [...(i ? [', '] : []), name(p.display_name)]);
  const count = `${t.message_count} message${t.message_count === 1 ? '' : 's'}`;
  return h('li', [
    h('h3', h('a', { href: webPaths.thread(record, t.thread_id) }, `Thread started ${formatTime(t.created_at)}`)),
    threadTags(t.status, t.visibility),
    h('p', ['Participants: ', ...people]),
    h('p', { className: ['meta'] }, [`${count} · last updated `, timeElement(t.last_updated_at)]),
  ]);
}

function threadList(record: RecordId, threads: readonly ThreadSummary[], none: string): Element {
  if (!threads.length) return h('p', none);
  return h(
    'ol',
    { className: ['list'] },
    [...threads].sort(byActivity).map((t) => threadItem(record, t)),
  );
}

/** The page of a record: its status, its open and closed threads, and a link to the archived ones. */
export function renderRecordPage(summary: RecordSummary, context?: PageContext): string {
  const id = summary.coordination_id;
  const current = summary.threads.filter((t) => t.status !== 'archived');
  const archived = summary.threads.length - current.length;
  const main = [
    h('h1', 'Coordination record'),
    statusFacts(summary.status),
    h('section', { ariaLabelledBy: 'threads' }, [
      h('h2', { id: 'threads' }, `Threads (${current.length})`),
      threadList(id, current, 'No open or closed threads.'),
      h(
        'p',
        archived ? h('a', { href: webPaths.archived(id) }, `Archived threads (${archived})`) : 'No archived threads.',
      ),
    ]),
  ];
  const crumbs = [{ label: 'Record' }];
  return renderPage({ title: 'Coordination record', crumbs, main, ...(context ? { context } : {}) });
}

/** The page of a record's archived threads. */
export function renderArchivedPage(summary: RecordSummary, context?: PageContext): string {
  const id = summary.coordination_id;
  const archived = summary.threads.filter((t) => t.status === 'archived');
  const main = [
    h('h1', `Archived threads (${archived.length})`),
    h('p', ['Threads that no longer change, of record ', h('code', id), '.']),
    threadList(id, archived, 'No archived threads.'),
    h('p', h('a', { href: webPaths.record(id) }, 'Back to the record')),
  ];
  const crumbs = [{ label: 'Record', href: webPaths.record(id) }, { label: 'Archived threads' }];
  return renderPage({ title: 'Archived threads', crumbs, main, ...(context ? { context } : {}) });
}
