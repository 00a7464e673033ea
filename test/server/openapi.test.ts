// The OpenAPI document (issue 16): served without credentials, valid per an independent validator,
// describing every route the server knows (server/http.ts) and nothing it does not; the answers of
// the records, principals and operations endpoints match its schemas (threads: threadsApi.test.ts).

import { Validator } from '@seriousme/openapi-schema-validator';
import t from 'tap';
import { route, type Matched as Route } from '../../server/routes/match.js';
import { areas, openApiDocument } from '../../server/openapi/index.js';
import { answerChecker } from '../helpers/openapi.js';
import { jane, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';

const R = '0f1e2d3c-4b5a-4697-8877-665544332211';
const TH = '20260111T143522.045Z-7c4e2b1a-9d3f-4e6a-8b2c-5f1e0d9a7b3c';

/** Requests that reach each route kind, with the path template the document gives them. */
type Sample = { method: string; path: string; template: string };
const samples: Record<Exclude<Route['kind'], 'not-found' | 'bad-method'>, Sample[]> = {
  health: [{ method: 'GET', path: '/healthz', template: '/healthz' }],
  metrics: [{ method: 'GET', path: '/metrics', template: '/metrics' }],
  openapi: [{ method: 'GET', path: '/api/openapi.json', template: '/api/openapi.json' }],
  git: [
    {
      method: 'GET',
      path: `/coordination/${R}.git/info/refs?service=git-upload-pack`,
      template: '/coordination/{id}.git/info/refs',
    },
    {
      method: 'POST',
      path: `/coordination/${R}.git/git-upload-pack`,
      template: '/coordination/{id}.git/git-upload-pack',
    },
    {
      method: 'POST',
      path: `/coordination/${R}.git/git-receive-pack`,
      template: '/coordination/{id}.git/git-receive-pack',
    },
  ],
  'records-create': [{ method: 'POST', path: '/api/records', template: '/api/records' }],
  'records-list': [{ method: 'GET', path: '/api/records?limit=5', template: '/api/records' }],
  record: [{ method: 'GET', path: `/api/records/${R}`, template: '/api/records/{id}' }],
  'threads-list': [
    { method: 'GET', path: `/api/records/${R}/threads?status=open`, template: '/api/records/{id}/threads' },
  ],
  'threads-create': [{ method: 'POST', path: `/api/records/${R}/threads`, template: '/api/records/{id}/threads' }],
  thread: [{ method: 'GET', path: `/api/records/${R}/threads/${TH}`, template: '/api/records/{id}/threads/{thread}' }],
  'thread-update': [
    { method: 'PATCH', path: `/api/records/${R}/threads/${TH}`, template: '/api/records/{id}/threads/{thread}' },
  ],
  'messages-create': [
    {
      method: 'POST',
      path: `/api/records/${R}/threads/${TH}/messages`,
      template: '/api/records/{id}/threads/{thread}/messages',
    },
  ],
  'principals-list': [{ method: 'GET', path: '/api/principals', template: '/api/principals' }],
  'principals-create': [{ method: 'POST', path: '/api/principals', template: '/api/principals' }],
  'principals-delete': [{ method: 'DELETE', path: '/api/principals/bob', template: '/api/principals/{name}' }],
  'tokens-create': [{ method: 'POST', path: '/api/principals/bob/tokens', template: '/api/principals/{name}/tokens' }],
  'tokens-list': [{ method: 'GET', path: '/api/principals/bob/tokens', template: '/api/principals/{name}/tokens' }],
  'tokens-revoke': [
    {
      method: 'DELETE',
      path: '/api/principals/bob/tokens/tok_abcdefghijkl',
      template: '/api/principals/{name}/tokens/{token}',
    },
  ],
  'keys-create': [{ method: 'POST', path: '/api/principals/bob/keys', template: '/api/principals/{name}/keys' }],
  'keys-list': [{ method: 'GET', path: '/api/principals/bob/keys', template: '/api/principals/{name}/keys' }],
  'keys-revoke': [
    {
      method: 'DELETE',
      path: '/api/principals/bob/keys/key_abcdefghijkl',
      template: '/api/principals/{name}/keys/{key}',
    },
  ],
  'allowed-signers': [{ method: 'GET', path: '/api/allowed-signers', template: '/api/allowed-signers' }],
  events: [{ method: 'GET', path: '/api/events?after=0&limit=10', template: '/api/events' }],
  'webhooks-create': [{ method: 'POST', path: '/api/webhooks', template: '/api/webhooks' }],
  'webhooks-list': [{ method: 'GET', path: '/api/webhooks', template: '/api/webhooks' }],
  'webhooks-delete': [
    { method: 'DELETE', path: '/api/webhooks/hook_abcdefghijklmnop', template: '/api/webhooks/{id}' },
  ],
  'webhook-deliveries': [
    {
      method: 'GET',
      path: '/api/webhooks/hook_abcdefghijklmnop/deliveries',
      template: '/api/webhooks/{id}/deliveries',
    },
  ],
  web: [
    { method: 'GET', path: `/records/${R}`, template: '/records/{id}' },
    { method: 'GET', path: `/records/${R}/archived`, template: '/records/{id}/archived' },
    { method: 'GET', path: `/records/${R}/threads/${TH}`, template: '/records/{id}/threads/{thread}' },
  ],
};

/** A path of the document with example values in its parameters. */
function example(template: string): string {
  return template
    .replace('{id}', template.startsWith('/api/webhooks/') ? 'hook_abcdefghijklmnop' : R)
    .replace('{thread}', TH)
    .replace('{name}', 'bob')
    .replace('{token}', 'tok_abcdefghijkl')
    .replace('{key}', 'key_abcdefghijkl');
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

t.test('the document is valid OpenAPI 3.1 per an independent validator', async (t) => {
  const validator = new Validator();
  const result = await validator.validate(openApiDocument('http://127.0.0.1:1'));
  t.same(result.errors, undefined, JSON.stringify(result.errors)?.slice(0, 2000));
  t.ok(result.valid);
  t.equal(validator.version, '3.1');
});

t.test('every route the server knows is in the document, under the template its request matches', async (t) => {
  const doc: any = openApiDocument('http://127.0.0.1:1');
  for (const [kind, list] of Object.entries(samples)) {
    for (const s of list) {
      t.equal(route(s.method, s.path).kind, kind, `${s.method} ${s.path} is the route ${kind}`);
      t.ok(doc.paths[s.template]?.[s.method.toLowerCase()], `${s.method} ${s.template} is described`);
      t.equal(example(s.template), s.path.split('?')[0], `${s.template} is the shape of ${s.path}`);
    }
  }
});

t.test('every operation of the document is a route of the server', async (t) => {
  const doc: any = openApiDocument('http://127.0.0.1:1');
  const described = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => [m.toUpperCase(), path] as const),
  );
  const sampled = new Set(
    Object.values(samples)
      .flat()
      .map((s) => `${s.method} ${s.template}`),
  );
  for (const [method, path] of described) {
    const url = example(path) + (path.endsWith('/info/refs') ? '?service=git-upload-pack' : '');
    const r = route(method, url);
    t.not(r.kind, 'not-found', `${method} ${path} is served`);
    t.not(r.kind, 'bad-method', `${method} ${path} takes ${method}`);
    t.ok(sampled.has(`${method} ${path}`), `${method} ${path} has a sample above`);
  }
  t.ok(Object.keys(areas).length >= 6, 'assembled from area modules');
});

t.test('served without credentials, and real answers match its schemas', async (t) => {
  const s = await testServer(t);
  const docs = answerChecker();
  const served = await s.api('GET', '/api/openapi.json', null);
  t.equal(served.status, 200);
  t.equal(served.body.openapi, '3.1.0');
  t.equal(served.body.servers[0].url, s.url, "the server's own URL");
  const cast = await castPrincipals(s);
  const check = async (
    method: string,
    path: string,
    template: string,
    creds: typeof s.admin | null,
    body?: unknown,
  ) => {
    const r = await s.api(method, path, creds, body);
    t.same(docs.check(method, template, r.status, r.body), [], `${method} ${template} ${r.status}`);
    return r;
  };
  await check('GET', '/healthz', '/healthz', null);
  const made = await check('POST', '/api/records', '/api/records', s.admin, {
    clinical_id: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12',
    care_location: 'Ward 3',
    thread: { participants: [jane, tom], message: { author_id: jane.participant_id, body: 'hello' } },
  });
  t.equal(made.status, 201);
  await check('GET', '/api/records', '/api/records', s.admin);
  await check('GET', `/api/records/${made.body.coordination_id}`, '/api/records/{id}', s.admin);
  await check('GET', `/api/records/${made.body.coordination_id}`, '/api/records/{id}', null);
  await check('GET', `/api/records/${R}`, '/api/records/{id}', cast.jane);
  await check('GET', '/api/principals', '/api/principals', s.admin);
  await check('GET', '/api/principals', '/api/principals', cast.jane);
  await check('POST', '/api/principals', '/api/principals', s.admin, { name: 'ops', kind: 'auditor' });
  await check('POST', '/api/principals/jane/tokens', '/api/principals/{name}/tokens', cast.jane, { label: 'laptop' });
  await check('GET', '/api/principals/jane/tokens', '/api/principals/{name}/tokens', cast.jane);
  await check('GET', '/api/principals/jane/keys', '/api/principals/{name}/keys', cast.jane);
  await check('DELETE', '/api/principals/ops', '/api/principals/{name}', s.admin);
});
