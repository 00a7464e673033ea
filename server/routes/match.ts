// The router: the route of a request's method and raw URL, from the routes table. Strict as
// before routes were data: a raw path only (no decoding, no `..`, no `//`); a path no route
// matches is 404; a path some route matches with another method is 405 naming what it takes.

import type { Call, Logged, Pattern, Reply, Route } from './route.js';
import { routes } from './index.js';

/** A route's kind (the names the access log and metrics use, and the router answers). */
export type RouteKind = (typeof routes)[number]['kind'];

/** What the router answers for a request. */
export type Matched =
  | ({ kind: RouteKind; route: Route; query: URLSearchParams; run: (call: Call) => Promise<Reply> } & Logged)
  /** `pattern`: the pattern whose prefix the path is under, when it answers its own 404 (web pages). */
  | { kind: 'not-found'; pattern?: Pattern<Logged> }
  /** A page path's request keeps what its log records (the record), as any page request. */
  | ({ kind: 'bad-method'; allow: string; pattern: Pattern<Logged>; route: Route } & Logged);

/** Whether a route of `method` takes a request of `asked` (GET answers HEAD too). */
function takes(method: string, asked: string): boolean {
  return method === asked || (method === 'GET' && asked === 'HEAD');
}

/** Match a request to a route of the table. */
export function route(method: string, rawUrl: string): Matched {
  if (!rawUrl.startsWith('/')) return { kind: 'not-found' };
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  const others: Route[] = [];
  let logged: Logged = {};
  for (const r of routes) {
    const bound = r.bind(path, query);
    if (!bound) continue;
    if (takes(r.method, method)) return { kind: r.kind, route: r, query, run: bound.run, ...bound.logged };
    if (others.length === 0) logged = bound.logged;
    others.push(r);
  }
  const first = others[0];
  if (first) {
    const allow = first.pattern.allow ?? [...new Set(others.map((r) => r.method))].join(', ');
    return { kind: 'bad-method', allow, pattern: first.pattern, route: first, ...(first.pattern.pages ? logged : {}) };
  }
  const owner = routes.find((r) => r.pattern.owns?.(path));
  return owner ? { kind: 'not-found', pattern: owner.pattern } : { kind: 'not-found' };
}

/** The metrics label of a match: a route's label; a refusal on a page path, the page route's. */
export function label(m: Matched): string {
  if (m.kind === 'not-found') return m.pattern?.pages ? pageKind(m.pattern) : 'not-found';
  if (m.kind === 'bad-method') return m.pattern.pages ? m.route.label : 'bad-method';
  return m.route.label;
}

/** The kind of the routes of a page pattern (the 404 of the web view is counted as `web`). */
function pageKind(p: Pattern<Logged>): string {
  return routes.find((r) => r.pattern === p)?.label ?? 'not-found';
}
