// The request handler: route, authenticate (HTTP Basic or a sign-on Bearer JWT on every request
// but /healthz and unknown paths, which answer 404 first), dispatch, answer errors as JSON (as
// pages on the web view's paths), and write the access log entry before the response completes.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MethodNotAllowed, NotFound, Unauthorized } from '../core/errors.js';
import type { RecordId } from '../core/ids.js';
import { allow, bindSite } from './access.js';
import type { AccessEntry } from './accessLog.js';
import {
  createPrincipalRoute, createRecordFrom, createRecordRoute, createTokenRoute, deletePrincipalRoute, listPrincipalsRoute,
  listRecordsRoute, listTokensRoute, recordSummaryRoute, revokeTokenRoute, type Answer,
} from './api.js';
import { addKeyRoute, allowedSignersRoute, listKeysRoute, revokeKeyRoute } from './keysRoute.js';
import type { ServerContext } from './context.js';
import { gitRoute } from './gitRoute.js';
import { createWebhookRoute, eventsRoute } from './events/routes.js';
import type { SignedIn } from './identity/credentials.js';
import { errorBody, readJson, route, sendJson, type Route } from './http.js';
import { fingerprint, parseIdempotencyKey } from './idempotency.js';
import { openApiRoute } from './openapi/index.js';
import { createThreadRoute, listThreadsRoute, postMessageRoute, threadRoute, updateThreadRoute } from './threadsRoute.js';
import { sendPage, webErrorPage, webRoute } from './webRoute.js';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="CCR", charset="UTF-8"' };

/**
 * Authenticate the request (a principal's token, or a sign-on JWT as Bearer or Basic password);
 * the same 401 for a missing, malformed, unknown, wrong, expired or revoked credential.
 */
async function authenticate(ctx: ServerContext, req: IncomingMessage): Promise<SignedIn> {
  const signedIn = await ctx.identity.auth.signIn(req.headers.authorization);
  if (!signedIn) {
    ctx.metrics.authFailures.inc();
    throw new Unauthorized('authentication required');
  }
  return { ...signedIn, principal: bindSite(signedIn.principal, ctx.sites) };
}

/**
 * Answering before the request body was read: close the connection after the answer, and read
 * (and drop) what the client is still sending for a moment, so the answer is not lost to a
 * reset; a client that keeps sending is cut off.
 */
function lingerOnRefusal(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.setHeader('Connection', 'close');
  req.resume();
  const cut = setTimeout(() => req.socket?.destroy(), 2000); // the socket may be gone already
  cut.unref();
  req.once('end', () => clearTimeout(cut));
}

/** The route's metric label. */
function label(r: Route): string {
  return r.kind === 'git' ? `git-${r.step}-${r.service.slice(4)}` : r.kind;
}

/** Build the request listener of a server. */
export function createHandler(ctx: ServerContext, inflight: Set<ServerResponse>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    inflight.add(res);
    res.on('close', () => inflight.delete(res));
    handle(ctx, req, res).catch((e: unknown) => {
      ctx.log('error', 'handler-crashed', { error: e });
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'Internal', message: 'internal error' } });
      else res.destroy();
    });
  };
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const requestId = randomBytes(6).toString('hex');
  const r = route(req.method ?? 'GET', req.url ?? '');
  const entry: AccessEntry = {
    time: new Date().toISOString(), request: requestId, principal: null, address: req.socket.remoteAddress, method: req.method ?? '',
    path: (req.url ?? '').slice(0, 512), status: 500, outcome: 'error', ms: 0,
  };
  if (r.kind === 'git') {
    entry.record = r.record;
    entry.service = r.service;
  } else if ('record' in r) entry.record = r.record;
  else if (r.kind === 'web' && r.page) entry.record = r.page.record;
  const finish = async (status: number, outcome: string) => {
    entry.status = status;
    entry.outcome = outcome;
    entry.ms = Math.round(performance.now() - started);
    ctx.metrics.requests.inc({ route: label(r), status: String(status) });
    ctx.metrics.duration.observe({ route: label(r) }, entry.ms / 1000);
    await ctx.accessLog.append(entry).catch((e: unknown) => ctx.log('error', 'access-log-failed', { error: e }));
  };
  res.setHeader('X-Request-Id', requestId);
  try {
    if (r.kind === 'health') {
      await finish(200, 'ok');
      return sendJson(res, 200, { status: 'ok' });
    }
    if (r.kind === 'openapi') {
      await finish(200, 'ok');
      return sendJson(res, 200, openApiRoute(ctx));
    }
    if (r.kind === 'not-found' || (r.kind === 'web' && !r.page)) throw new NotFound('nothing is served at this path');
    const signedIn = await authenticate(ctx, req);
    const principal = signedIn.principal;
    entry.principal = principal.name;
    if (r.kind === 'bad-method') throw new MethodNotAllowed(`use ${r.allow} here`);
    if (r.kind === 'git') {
      const out = await gitRoute(ctx, req, res, principal, r.record, r.service, r.step, requestId);
      if (out.updates) entry.updates = out.updates;
      await finish(out.status, out.outcome);
      if (!res.headersSent) {
        lingerOnRefusal(req, res);
        const message = { 'too-large': 'the request body is too large', 'bad-body': 'the request body could not be read', 'bad-request': 'git could not read the request' }[out.outcome] ?? 'the request could not be served';
        return sendJson(res, out.status, { error: { code: out.outcome, message } });
      }
      res.end();
      return;
    }
    if (r.kind === 'web') {
      if (r.badMethod || !r.page) throw new MethodNotAllowed('use GET here');
      const html = await webRoute(ctx, principal, r.page);
      await finish(200, 'ok');
      return sendPage(ctx, res, 200, html);
    }
    if (r.kind === 'allowed-signers') {
      const text = await allowedSignersRoute(ctx, principal);
      await finish(200, 'ok');
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (r.kind === 'metrics') {
      allow(principal, (x) => x.metrics, 'read metrics');
      const text = await ctx.metrics.registry.metrics();
      await finish(200, 'ok');
      res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType });
      res.end(text);
      return;
    }
    let answer: Answer;
    switch (r.kind) {
      case 'records-create': {
        const key = parseIdempotencyKey(req.headers['idempotency-key']);
        if (key === undefined) {
          const created = await createRecordRoute(ctx, req, principal);
          entry.record = created.record;
          answer = created;
          break;
        }
        allow(principal, (x) => x.createRecords, 'create records');
        const body = await readJson(req, ctx.options.maxRequestBytes);
        const given = await ctx.idempotency.run(principal.name, key, fingerprint('POST', '/api/records', body),
          () => createRecordFrom(ctx, principal, body));
        if (given.replayed) res.setHeader('Idempotent-Replayed', 'true');
        const made = (given.body as { coordination_id?: RecordId } | null)?.coordination_id;
        if (made) entry.record = made;
        answer = given;
        break;
      }
      case 'records-list': answer = await listRecordsRoute(ctx, principal, r.after, r.limit); break;
      case 'record': answer = await recordSummaryRoute(ctx, principal, r.record); break;
      case 'principals-list': answer = await listPrincipalsRoute(ctx, principal); break;
      case 'principals-create': answer = await createPrincipalRoute(ctx, req, principal); break;
      case 'principals-delete': answer = await deletePrincipalRoute(ctx, principal, r.name); break;
      case 'tokens-create': answer = await createTokenRoute(ctx, req, signedIn, r.name); break;
      case 'tokens-list': answer = await listTokensRoute(ctx, principal, r.name); break;
      case 'tokens-revoke': answer = await revokeTokenRoute(ctx, principal, r.name, r.id); break;
      case 'keys-create': answer = await addKeyRoute(ctx, req, principal, r.name); break;
      case 'keys-list': answer = await listKeysRoute(ctx, principal, r.name); break;
      case 'keys-revoke': answer = await revokeKeyRoute(ctx, principal, r.name, r.id); break;
      case 'threads-list': answer = await listThreadsRoute(ctx, principal, r.record, r.status); break;
      case 'thread': answer = await threadRoute(ctx, principal, r.record, r.thread); break;
      case 'threads-create':
      case 'messages-create':
      case 'thread-update': {
        const key = parseIdempotencyKey(req.headers['idempotency-key']);
        const body = await readJson(req, ctx.options.maxRequestBytes);
        const print = fingerprint(req.method ?? '', (req.url ?? '').split('?')[0]!, body);
        const run = r.kind === 'threads-create' ? () => createThreadRoute(ctx, principal, r.record, body)
          : r.kind === 'messages-create' ? () => postMessageRoute(ctx, principal, r.record, r.thread, body)
            : () => updateThreadRoute(ctx, principal, r.record, r.thread, body);
        const given = await ctx.idempotency.run(principal.name, key, print, run);
        if (given.replayed) res.setHeader('Idempotent-Replayed', 'true');
        answer = given;
        break;
      }
      case 'events': answer = eventsRoute(ctx.events, principal, r.after, r.limit); break;
      case 'webhooks-create': answer = await createWebhookRoute(ctx.events, req, principal, ctx.options.maxRequestBytes); break;
      case 'webhooks-list': answer = { status: 200, body: ctx.events.webhooks.list(principal) }; break;
      case 'webhooks-delete': ctx.events.webhooks.remove(principal, r.id); answer = { status: 204, body: null }; break;
      case 'webhook-deliveries': answer = { status: 200, body: ctx.events.webhooks.deliveries(principal, r.id) }; break;
    }
    await finish(answer.status, 'ok');
    if (answer.status === 204) {
      res.writeHead(204);
      res.end();
    } else sendJson(res, answer.status, answer.body);
  } catch (e) {
    const { status, body } = errorBody(e, requestId);
    if (status >= 500) ctx.log('error', 'request-failed', { request: requestId, error: e });
    await finish(status, body.error.code);
    if (!res.headersSent) {
      lingerOnRefusal(req, res);
      const challenge = status === 401 ? CHALLENGE : {};
      if (r.kind === 'web') sendPage(ctx, res, status, webErrorPage(status, requestId), challenge);
      else sendJson(res, status, body, challenge);
    } else res.destroy();
  }
}
