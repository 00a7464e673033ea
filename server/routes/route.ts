// What a route is: one endpoint as data (fastify's `{ method, url, handler }`): a method on a URL
// pattern, the right it needs (read from core/rights.ts by the dispatcher before the handler
// runs), and its handler. server/routes/match.ts finds the route of a request; server/app.ts
// authenticates, checks the right and answers what the handler returns.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordId } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import type { Right } from '../access.js';
import type { AccessEntry } from '../accessLog.js';
import type { Answer } from '../api.js';
import type { ServerContext } from '../context.js';
import type { SignedIn } from '../identity/credentials.js';

/** The methods routes take; a GET route answers HEAD too. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a matched URL tells the access log before the handler runs (SPEC 9's log fields), among its parameters. */
export type Logged = {
  record?: RecordId;
  service?: string;
  [param: string]: unknown;
};

/**
 * A URL shape several routes (one per method) share; matching stays strict: raw path, nothing
 * decoded, a malformed id is no match (404).
 */
export interface Pattern<P extends Logged> {
  /** The path templates it matches, as the OpenAPI document (server/openapi/) names them. */
  paths: readonly string[];
  /** The parameters of a path (and query) of this shape, or null. */
  match(path: string, query: URLSearchParams): P | null;
  /** A path under this pattern's prefix that it does not match is a 404 of this pattern (the web view's pages). */
  owns?(path: string): boolean;
  /**
   * What the 405 of this path names when not every method of its routes: a collection names GET
   * only, as it did before routes were data (the message text is pinned).
   */
  allow?: string;
  /** Its answers, errors included, are web pages (server/webRoute.ts), not JSON. */
  pages?: true;
}

/** What a route needs of the principal, checked by the dispatcher before the handler. */
export type Need =
  /** A right of the principal's kind (core/rights.ts); without it, 403 `<kind> principals may not <what>`. */
  | { right: Right; what: string }
  /** Signed in, no right of the table: why (the handler checks per record, per name, or filters). */
  | { none: string }
  /** Answered without signing in: why. */
  | { public: string };

/** What a handler is given: the request, the response, the server, and who signed in. */
export interface Call {
  ctx: ServerContext;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  entry: AccessEntry;
  requestId: string;
  /** Who signed in (a route that needs `public` sees a placeholder it must not read). */
  signedIn: SignedIn;
  principal: Principal;
  /** Log the request and count it: before the response completes. */
  finish(status: number, outcome: string): Promise<void>;
}

/** What a handler answers: JSON (204 without a body), text, a web page, or nothing left to send. */
export type Reply =
  | ({ type: 'json' } & Answer)
  | { type: 'text'; status: number; text: string; headers: Record<string, string> }
  | { type: 'page'; status: number; html: string }
  | { type: 'sent' };

/** One endpoint, as written in a routes file. */
export interface RouteSpec<K extends string, P extends Logged> {
  /** The route's name: what the router answers (tests) and, unless `metric`, the access log's and metrics' label. */
  kind: K;
  /** The metrics label when several routes share a kind (git: `git-rpc-receive-pack`). */
  metric?: string;
  method: Method;
  pattern: Pattern<P>;
  need: Need;
  handler(call: Call, params: P): Promise<Reply>;
}

/** A route of the table: its spec with the parameter type closed over. */
export interface Route<K extends string = string> {
  kind: K;
  label: string;
  method: Method;
  pattern: Pattern<Logged>;
  need: Need;
  /** The bound handler of a path this route's pattern matches, with what the log records; else null. */
  bind(path: string, query: URLSearchParams): { logged: Logged; run: (call: Call) => Promise<Reply> } | null;
}

/** Close a route spec over its parameters. */
export function route<K extends string, P extends Logged>(spec: RouteSpec<K, P>): Route<K> {
  return {
    kind: spec.kind,
    label: spec.metric ?? spec.kind,
    method: spec.method,
    pattern: spec.pattern,
    need: spec.need,
    bind(path, query) {
      const params = spec.pattern.match(path, query);
      if (params === null) return null;
      return {
        logged: {
          ...(params.record !== undefined ? { record: params.record } : {}),
          ...(params.service !== undefined ? { service: params.service } : {}),
        },
        run: (call) => spec.handler(call, params),
      };
    },
  };
}

/** A JSON reply from an Answer. */
export function json(a: Answer): Reply {
  return { type: 'json', status: a.status, body: a.body };
}

/** A pattern that is one exact path with no parameters. */
export function exact(path: string, allow?: string): Pattern<Logged> {
  return { paths: [path], match: (p) => (p === path ? {} : null), ...(allow !== undefined ? { allow } : {}) };
}
