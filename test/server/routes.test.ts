// The routes table (server/routes/): the same method and path pairs as the OpenAPI document, each
// template matched by the router to its own route, and every route naming the right it needs or
// saying why it needs none.

import t from 'tap';
import { rights } from '../../core/rights.js';
import { openApiDocument } from '../../server/openapi/index.js';
import { routes } from '../../server/routes/index.js';
import { route } from '../../server/routes/match.js';

const R = '0f1e2d3c-4b5a-4697-8877-665544332211';
const TH = '20260111T143522.045Z-7c4e2b1a-9d3f-4e6a-8b2c-5f1e0d9a7b3c';
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

/** A request URL of a path template of a route, with example values. */
function example(template: string, query: string): string {
  const path = template
    .replace('{id}', template.startsWith('/api/webhooks/') ? 'hook_abcdefghijklmnop' : R)
    .replace('{thread}', TH)
    .replace('{name}', 'bob')
    .replace('{token}', 'tok_abcdefghijkl')
    .replace('{key}', 'key_abcdefghijkl');
  return path + query;
}

t.test('the routes table and the OpenAPI document name the same method and path pairs', async (t) => {
  const doc = openApiDocument('http://127.0.0.1:1') as { paths: Record<string, Record<string, unknown>> };
  const described = Object.entries(doc.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  const served = [...new Set(routes.flatMap((r) => r.pattern.paths.map((p) => `${r.method} ${p}`)))].sort();
  t.same(served, described);
  t.ok(
    served.some((s) => s.startsWith('POST /api/')),
    'the API is among them',
  );
});

t.test('the router answers each template of a route with that route', async (t) => {
  for (const r of routes) {
    for (const template of r.pattern.paths) {
      // The advertisement names its service in the query; its route is one of two.
      const query = template.endsWith('/info/refs')
        ? `?service=${r.label.endsWith('receive-pack') ? 'git-receive-pack' : 'git-upload-pack'}`
        : '';
      const m = route(r.method, example(template, query));
      t.equal(
        m.kind !== 'not-found' && m.kind !== 'bad-method' ? m.route : null,
        r,
        `${r.method} ${template} is ${r.label}`,
      );
    }
  }
});

t.test('every route names the right it needs, or says why it needs none', async (t) => {
  for (const r of routes) {
    const need = r.need;
    if ('right' in need) {
      t.ok(need.what.length > 0, `${r.label} says what its right allows`);
      t.ok(
        Object.values(rights).some((row) => need.right(row)),
        `${r.label}: some kind has the right`,
      );
    } else {
      const why = 'none' in need ? need.none : need.public;
      t.ok(why.length > 10, `${r.label} says why it needs no right: ${why}`);
    }
  }
  t.same(
    routes
      .filter((r) => 'public' in r.need)
      .map((r) => r.label)
      .sort(),
    ['health', 'openapi'],
    'only health and the document answer without signing in',
  );
});

t.test('a wrong method is 405 naming what the path takes, an unknown path 404', async (t) => {
  const allowed = (method: string, url: string) => {
    const m = route(method, url);
    return m.kind === 'bad-method' ? m.allow : null;
  };
  t.equal(allowed('PUT', '/api/records'), 'GET', 'a collection names GET, as it always did');
  t.equal(allowed('PUT', `/api/records/${R}/threads/${TH}`), 'GET, PATCH');
  t.equal(allowed('GET', `/coordination/${R}.git/git-upload-pack`), 'POST');
  t.equal(route('GET', '/api/nothing').kind, 'not-found');
  t.equal(route('GET', `/api/records/${R.toUpperCase()}`).kind, 'not-found', 'no decoding, no case folding');
  t.equal(route('HEAD', '/healthz').kind, 'health', 'a GET route answers HEAD');
});
