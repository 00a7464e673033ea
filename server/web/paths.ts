// The URLs of the web view, made and read in one place: pages link to each other with
// `webPaths`, and the route reads a request path back with `parseWebPath`. Only these exact
// shapes are pages; anything else is not one (the route answers 404 and reads nothing).

import { isRecordId, isThreadId, type RecordId, type ThreadId } from '../../core/ids.js';

/** The page a web path names. */
export type WebPage =
  | { page: 'record'; record: RecordId }
  | { page: 'archived'; record: RecordId }
  | { page: 'thread'; record: RecordId; thread: ThreadId };

/** Paths of the pages (ids are URL-safe as they are: hex, digits, `-`, `.`, `T`, `Z`). */
export const webPaths = {
  /** A record: its status and its open and closed threads. */
  record: (record: RecordId): string => `/records/${record}`,
  /** A record's archived threads, kept out of the way behind a link. */
  archived: (record: RecordId): string => `/records/${record}/archived`,
  /** One thread. */
  thread: (record: RecordId, thread: ThreadId): string => `/records/${record}/threads/${thread}`,
} as const;

/** The page of a request path (no query, no decoding: ids never need escapes), or null. */
export function parseWebPath(path: string): WebPage | null {
  const parts = path.split('/');
  if (parts[0] !== '' || parts[1] !== 'records') return null;
  const record = parts[2];
  if (!isRecordId(record)) return null;
  if (parts.length === 3) return { page: 'record', record };
  if (parts.length === 4 && parts[3] === 'archived') return { page: 'archived', record };
  const thread = parts[4];
  if (parts.length === 5 && parts[3] === 'threads' && isThreadId(thread)) return { page: 'thread', record, thread };
  return null;
}
