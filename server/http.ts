// HTTP plumbing shared by the routes: JSON in and out, errors as JSON with their status, Basic
// credentials, and the strict URL shapes the server answers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CcrError, InvalidInput, PayloadTooLarge, RuleViolation, UnsupportedMediaType } from '../core/errors.js';
import { isRecordId, isThreadId, type RecordId, type ThreadId } from '../core/ids.js';
import type { GitService } from './smartHttp.js';
import { parseWebPath, type WebPage } from './web/paths.js';

/** Send a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** What the JSON error body of SPEC 9 holds; `findings` for a RuleViolation. */
export interface ErrorFields {
  code: string;
  message: string;
  request?: string;
  findings?: { rule: string; message: string; path?: string }[];
}

/** The JSON error body of SPEC 9 and its status. */
export function errorBody(e: unknown, requestId: string): { status: number; body: { error: ErrorFields } } {
  if (e instanceof RuleViolation) {
    // The rule ids and reasons, as a push shows them (SPEC 8), for a program to branch on.
    const findings = e.findings.map((f) => ({ rule: f.rule, message: f.message, ...(f.path !== undefined ? { path: f.path } : {}) }));
    return { status: e.status, body: { error: { code: e.code, message: e.message, findings } } };
  }
  if (e instanceof CcrError) {
    const message = e.status >= 500 ? `internal error (request ${requestId})` : e.message;
    return { status: e.status, body: { error: { code: e.code, message, ...(e.status >= 500 ? { request: requestId } : {}) } } };
  }
  // A full disk is the operator's to fix, not a bug: say so (writes leave nothing half done).
  if (['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException | null)?.code ?? '')) {
    return { status: 507, body: { error: { code: 'InsufficientStorage', message: `the server is out of disk space; nothing was written (request ${requestId})`, request: requestId } } };
  }
  return { status: 500, body: { error: { code: 'Internal', message: `internal error (request ${requestId})`, request: requestId } } };
}

/** Read a JSON request body of at most `max` bytes. */
export async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) throw new UnsupportedMediaType('expected Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new PayloadTooLarge(`the request body is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (nesting(text) > MAX_JSON_DEPTH) throw new InvalidInput(`expected a JSON body nested at most ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInput('expected a JSON body');
  }
}

/** No request of the API nests deeper; deeper JSON would overflow the stack of whatever walks it. */
const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it. */
function nesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Name and token of an `Authorization: Basic` header, or null for anything else. */
export function basicCredentials(header: string | undefined): { name: string; token: string } | null {
  if (!header) return null;
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1 || decoded.length > 1024) return null;
  return { name: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

/** A request the server answers, as read from its method and raw URL (nothing decoded). */
export type Route =
  | { kind: 'health' }
  | { kind: 'metrics' }
  | { kind: 'git'; record: RecordId; service: GitService; step: 'advertise' | 'rpc' }
  | { kind: 'records-create' }
  | { kind: 'records-list'; after?: string; limit?: string }
  | { kind: 'record'; record: RecordId }
  | { kind: 'principals-list' }
  | { kind: 'principals-create' }
  | { kind: 'principals-delete'; name: string }
  | { kind: 'tokens-create'; name: string }
  | { kind: 'tokens-list'; name: string }
  | { kind: 'tokens-revoke'; name: string; id: string }
  | { kind: 'keys-create'; name: string }
  | { kind: 'keys-list'; name: string }
  | { kind: 'keys-revoke'; name: string; id: string }
  | { kind: 'allowed-signers' }
  | { kind: 'threads-list'; record: RecordId; status?: string }
  | { kind: 'threads-create'; record: RecordId }
  | { kind: 'thread'; record: RecordId; thread: ThreadId }
  | { kind: 'thread-update'; record: RecordId; thread: ThreadId }
  | { kind: 'messages-create'; record: RecordId; thread: ThreadId }
  | { kind: 'openapi' }
  | { kind: 'events'; after?: string; limit?: string }
  | { kind: 'webhooks-create' }
  | { kind: 'webhooks-list' }
  | { kind: 'webhooks-delete'; id: string }
  | { kind: 'webhook-deliveries'; id: string }
  /** A page of the web view under /records/; `page` null for a path that is none, `badMethod` for anything but GET. */
  | { kind: 'web'; page: WebPage | null; badMethod?: true }
  | { kind: 'not-found' }
  | { kind: 'bad-method'; allow: string };

const GIT = /^\/coordination\/([0-9a-f-]{36})(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const RECORD = /^\/api\/records\/([0-9a-f-]{36})$/;
const THREADS = /^\/api\/records\/([0-9a-f-]{36})\/threads(?:\/([0-9A-Za-z.:-]{1,80})(\/messages)?)?$/;
const PRINCIPAL = /^\/api\/principals\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
const TOKENS = /^\/api\/principals\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/tokens(?:\/(tok_[A-Za-z0-9_-]{12}))?$/;
const WEBHOOK = /^\/api\/webhooks\/(hook_[A-Za-z0-9_-]{16})(\/deliveries)?$/;
const KEYS = /^\/api\/principals\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/keys(?:\/(key_[A-Za-z0-9_-]{12}))?$/;

/** Match a request to a route. Only the exact shapes are accepted: no decoding, no `..`, no `//`. */
export function route(method: string, rawUrl: string): Route {
  if (!rawUrl.startsWith('/')) return { kind: 'not-found' };
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  const only = (allowed: string, r: Route): Route => (method === allowed || (allowed === 'GET' && method === 'HEAD') ? r : { kind: 'bad-method', allow: allowed });
  if (path === '/healthz') return only('GET', { kind: 'health' });
  if (path === '/metrics') return only('GET', { kind: 'metrics' });
  const git = GIT.exec(path);
  if (git) {
    if (!isRecordId(git[1])) return { kind: 'not-found' };
    if (git[2] === 'info/refs') {
      const service = query.get('service');
      if (service !== 'git-upload-pack' && service !== 'git-receive-pack') return { kind: 'not-found' };
      return only('GET', { kind: 'git', record: git[1], service, step: 'advertise' });
    }
    return only('POST', { kind: 'git', record: git[1], service: git[2] as GitService, step: 'rpc' });
  }
  if (path === '/api/records') {
    if (method === 'POST') return { kind: 'records-create' };
    const after = query.get('after') ?? undefined;
    const limit = query.get('limit') ?? undefined;
    return only('GET', { kind: 'records-list', ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) });
  }
  const record = RECORD.exec(path);
  if (record) return isRecordId(record[1]) ? only('GET', { kind: 'record', record: record[1] }) : { kind: 'not-found' };
  const threads = THREADS.exec(path);
  if (threads) return threadRoute(method, threads[1], threads[2], threads[3] !== undefined, query);
  if (path === '/api/openapi.json') return only('GET', { kind: 'openapi' });
  if (path === '/api/principals') return method === 'POST' ? { kind: 'principals-create' } : only('GET', { kind: 'principals-list' });
  if (path === '/records' || path.startsWith('/records/')) {
    const page = parseWebPath(path);
    return method === 'GET' || method === 'HEAD' ? { kind: 'web', page } : { kind: 'web', page, badMethod: true };
  }
  const principal = PRINCIPAL.exec(path);
  if (principal) return only('DELETE', { kind: 'principals-delete', name: principal[1]! });
  const tokens = TOKENS.exec(path);
  if (tokens?.[2] !== undefined) return only('DELETE', { kind: 'tokens-revoke', name: tokens[1]!, id: tokens[2] });
  if (tokens) {
    return method === 'POST' ? { kind: 'tokens-create', name: tokens[1]! }
      : only('GET', { kind: 'tokens-list', name: tokens[1]! });
  }
  const keys = KEYS.exec(path);
  if (keys?.[2] !== undefined) return only('DELETE', { kind: 'keys-revoke', name: keys[1]!, id: keys[2] });
  if (keys) {
    const name = keys[1]!;
    return method === 'POST' ? { kind: 'keys-create', name } : only('GET', { kind: 'keys-list', name });
  }
  if (path === '/api/allowed-signers') return only('GET', { kind: 'allowed-signers' });
  if (path === '/api/events') {
    const after = query.get('after') ?? undefined;
    const limit = query.get('limit') ?? undefined;
    return only('GET', { kind: 'events', ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) });
  }
  if (path === '/api/webhooks') return method === 'POST' ? { kind: 'webhooks-create' } : only('GET', { kind: 'webhooks-list' });
  const webhook = WEBHOOK.exec(path);
  if (webhook) return webhook[2] ? only('GET', { kind: 'webhook-deliveries', id: webhook[1]! }) : only('DELETE', { kind: 'webhooks-delete', id: webhook[1]! });
  return { kind: 'not-found' };
}

/** The thread and message routes of the JSON API (issue 16). */
function threadRoute(method: string, record: string | undefined, thread: string | undefined, messages: boolean, query: URLSearchParams): Route {
  if (!isRecordId(record) || (thread !== undefined && !isThreadId(thread))) return { kind: 'not-found' };
  const get = method === 'GET' || method === 'HEAD';
  if (thread === undefined) {
    const status = query.get('status') ?? undefined;
    if (method === 'POST') return { kind: 'threads-create', record };
    return get ? { kind: 'threads-list', record, ...(status !== undefined ? { status } : {}) } : { kind: 'bad-method', allow: 'GET, POST' };
  }
  if (messages) return method === 'POST' ? { kind: 'messages-create', record, thread } : { kind: 'bad-method', allow: 'POST' };
  if (method === 'PATCH') return { kind: 'thread-update', record, thread };
  return get ? { kind: 'thread', record, thread } : { kind: 'bad-method', allow: 'GET, PATCH' };
}
