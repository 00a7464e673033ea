// The request handler, a dispatcher over the routes table (server/routes/): match, authenticate
// (HTTP Basic or a sign-on Bearer JWT on every request but the public routes and unknown paths,
// which answer 404 first), check the right the route names (core/rights.ts), run its handler,
// answer errors as JSON (as pages on the web view's paths), and write the access log entry
// before the response completes.

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MethodNotAllowed, NotFound, Unauthorized } from '../core/errors.js';
import { allow, bindSite } from './access.js';
import type { AccessEntry } from './accessLog.js';
import type { ServerContext } from './context.js';
import type { SignedIn } from './identity/credentials.js';
import type { IdleRelease } from './heapRelease.js';
import { errorBody, lingerOnRefusal, sendJson } from './http.js';
import { label, route } from './routes/match.js';
import type { Call, Reply } from './routes/route.js';
import { sendPage, webErrorPage } from './webRoute.js';

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
 * Build the request listener of a server. `inflight` holds the responses not yet closed;
 * `handling`, the requests whose work is not done, which can outlast their answer (a landed push
 * logs, keeps its receipt and tells the mainMoved hooks after answering): shutdown waits for both.
 * `idle` hears each request start and end, to compact the heap once they stop (heapRelease.ts).
 */
export function createHandler(
  ctx: ServerContext,
  inflight: Set<ServerResponse>,
  handling: Set<Promise<void>>,
  idle: IdleRelease | null = null,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    inflight.add(res);
    idle?.started();
    res.on('close', () => {
      inflight.delete(res);
      idle?.ended(inflight.size);
    });
    const work = handle(ctx, req, res).catch((e: unknown) => {
      ctx.log('error', 'handler-crashed', { error: e });
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'Internal', message: 'internal error' } });
      else res.destroy();
    });
    handling.add(work);
    void work.finally(() => handling.delete(work));
  };
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const requestId = randomBytes(6).toString('hex');
  const r = route(req.method ?? 'GET', req.url ?? '');
  const entry: AccessEntry = {
    time: new Date().toISOString(),
    request: requestId,
    principal: null,
    address: req.socket.remoteAddress,
    method: req.method ?? '',
    path: (req.url ?? '').slice(0, 512),
    status: 500,
    outcome: 'error',
    ms: 0,
  };
  if (r.kind !== 'not-found') {
    if (r.record !== undefined) entry.record = r.record;
    if (r.service !== undefined) entry.service = r.service;
  }
  const name = label(r);
  const finish = async (status: number, outcome: string) => {
    entry.status = status;
    entry.outcome = outcome;
    entry.ms = Math.round(performance.now() - started);
    ctx.metrics.requests.inc({ route: name, status: String(status) });
    ctx.metrics.duration.observe({ route: name }, entry.ms / 1000);
    await ctx.accessLog.append(entry).catch((e: unknown) => ctx.log('error', 'access-log-failed', { error: e }));
  };
  // The web view's paths answer with pages, errors included.
  const pages = r.kind === 'not-found' ? r.pattern?.pages === true : r.route.pattern.pages === true;
  res.setHeader('X-Request-Id', requestId);
  try {
    if (r.kind === 'not-found') throw new NotFound('nothing is served at this path');
    let signedIn: SignedIn | null = null;
    if (r.kind === 'bad-method' || !('public' in r.route.need)) {
      signedIn = await authenticate(ctx, req);
      entry.principal = signedIn.principal.name;
    }
    if (r.kind === 'bad-method') throw new MethodNotAllowed(`use ${r.allow} here`);
    const need = r.route.need;
    if ('right' in need && signedIn) allow(signedIn.principal, need.right, need.what);
    const reply = await r.run(callOf(ctx, req, res, r.query, entry, requestId, signedIn, finish));
    await send(ctx, res, reply, finish);
  } catch (e) {
    const { status, body } = errorBody(e, requestId);
    if (status >= 500) ctx.log('error', 'request-failed', { request: requestId, error: e });
    await finish(status, body.error.code);
    if (!res.headersSent) {
      lingerOnRefusal(req, res);
      const challenge = status === 401 ? CHALLENGE : {};
      if (pages) sendPage(ctx, res, status, webErrorPage(status, requestId), challenge);
      else sendJson(res, status, body, challenge);
    } else res.destroy();
  }
}

/** What a handler is given; a route answered without signing in has no principal to read. */
function callOf(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  entry: AccessEntry,
  requestId: string,
  signedIn: SignedIn | null,
  finish: Call['finish'],
): Call {
  const who = (): SignedIn => {
    if (!signedIn) throw new Error('a route answered without signing in has no principal');
    return signedIn;
  };
  return {
    ctx,
    req,
    res,
    query,
    entry,
    requestId,
    finish,
    get signedIn() {
      return who();
    },
    get principal() {
      return who().principal;
    },
  };
}

/** Log the request, then answer what the handler returned (a handler that answered itself logged it). */
async function send(ctx: ServerContext, res: ServerResponse, reply: Reply, finish: Call['finish']): Promise<void> {
  if (reply.type === 'sent') return;
  await finish(reply.status, 'ok');
  if (reply.type === 'page') return sendPage(ctx, res, reply.status, reply.html);
  if (reply.type === 'text') {
    res.writeHead(reply.status, reply.headers);
    res.end(reply.text);
    return;
  }
  if (reply.status === 204) {
    res.writeHead(204);
    res.end();
  } else sendJson(res, reply.status, reply.body);
}
