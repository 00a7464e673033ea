// The thread and message routes of the JSON API (issue 16). Writes are idempotent with an
// Idempotency-Key; every one is judged per record, as that principal, by the same rules as a push.

import { isThreadId, isRecordId, type RecordId, type ThreadId } from '../../core/ids.js';
import type { Answer } from '../api.js';
import { readJson } from '../http.js';
import { fingerprint, parseIdempotencyKey } from '../idempotency.js';
import {
  createThreadRoute,
  listThreadsRoute,
  postMessageRoute,
  threadRoute,
  updateThreadRoute,
} from '../threadsRoute.js';
import { json, route, type Call, type Pattern, type Reply } from './route.js';

const THREADS = /^\/api\/records\/([0-9a-f-]{36})\/threads(?:\/([0-9A-Za-z.:-]{1,80})(\/messages)?)?$/;

/** The parts of a thread URL, or null: a record id, a thread id or none, and whether it ends in /messages. */
function threadUrl(path: string): { record: RecordId; thread: ThreadId | undefined; messages: boolean } | null {
  const m = THREADS.exec(path);
  if (!m || !isRecordId(m[1])) return null;
  const thread = m[2];
  if (thread !== undefined && !isThreadId(thread)) return null;
  return { record: m[1], thread, messages: m[3] !== undefined };
}

/** /api/records/<id>/threads */
const threads: Pattern<{ record: RecordId }> = {
  paths: ['/api/records/{id}/threads'],
  match: (path) => {
    const u = threadUrl(path);
    return u && u.thread === undefined ? { record: u.record } : null;
  },
};
/** /api/records/<id>/threads/<thread>, and with `/messages`. */
const thread = (messages: boolean): Pattern<{ record: RecordId; thread: ThreadId }> => ({
  paths: [messages ? '/api/records/{id}/threads/{thread}/messages' : '/api/records/{id}/threads/{thread}'],
  match: (path) => {
    const u = threadUrl(path);
    return u && u.thread !== undefined && u.messages === messages ? { record: u.record, thread: u.thread } : null;
  },
});
const oneThread = thread(false);
const messages = thread(true);

/** A write with its JSON body, run once per Idempotency-Key (a replay answers as the first time). */
async function idempotent({ ctx, req, res, principal }: Call, run: (body: unknown) => Promise<Answer>): Promise<Reply> {
  const key = parseIdempotencyKey(req.headers['idempotency-key']);
  const body = await readJson(req, ctx.options.maxRequestBytes);
  const print = fingerprint(req.method ?? '', (req.url ?? '').split('?')[0]!, body);
  const given = await ctx.idempotency.run(principal.name, key, print, () => run(body));
  if (given.replayed) res.setHeader('Idempotent-Replayed', 'true');
  return json(given);
}

const perRecord = {
  none: "per record: mayAccess (the kind's `read`/`write`), then the rules judge the write as that principal",
};

/** The thread routes. */
export const threadRoutes = [
  route({
    kind: 'threads-list',
    method: 'GET',
    pattern: threads,
    need: perRecord,
    handler: async ({ ctx, principal, query }, p) =>
      json(await listThreadsRoute(ctx, principal, p.record, query.get('status') ?? undefined)),
  }),
  route({
    kind: 'threads-create',
    method: 'POST',
    pattern: threads,
    need: perRecord,
    handler: (call, p) => idempotent(call, (body) => createThreadRoute(call.ctx, call.principal, p.record, body)),
  }),
  route({
    kind: 'thread',
    method: 'GET',
    pattern: oneThread,
    need: perRecord,
    handler: async ({ ctx, principal }, p) => json(await threadRoute(ctx, principal, p.record, p.thread)),
  }),
  route({
    kind: 'thread-update',
    method: 'PATCH',
    pattern: oneThread,
    need: perRecord,
    handler: (call, p) =>
      idempotent(call, (body) => updateThreadRoute(call.ctx, call.principal, p.record, p.thread, body)),
  }),
  route({
    kind: 'messages-create',
    method: 'POST',
    pattern: messages,
    need: perRecord,
    handler: (call, p) =>
      idempotent(call, (body) => postMessageRoute(call.ctx, call.principal, p.record, p.thread, body)),
  }),
];
