// The operator's routes: health, metrics, and the OpenAPI document.

import { openApiRoute } from '../openapi/index.js';
import { exact, json, route } from './route.js';

/** The health, metrics and OpenAPI routes. */
export const opsRoutes = [
  route({
    kind: 'health',
    method: 'GET',
    pattern: exact('/healthz'),
    need: { public: 'a load balancer asks without credentials' },
    handler: async () => json({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    kind: 'metrics',
    method: 'GET',
    pattern: exact('/metrics'),
    need: { right: (r) => r.metrics, what: 'read metrics' },
    handler: async ({ ctx }) => ({
      type: 'text',
      status: 200,
      text: await ctx.metrics.registry.metrics(),
      headers: { 'Content-Type': ctx.metrics.registry.contentType },
    }),
  }),
  route({
    kind: 'openapi',
    method: 'GET',
    pattern: exact('/api/openapi.json'),
    need: { public: "the API's description, read before any credential exists" },
    handler: async ({ ctx }) => json({ status: 200, body: openApiRoute(ctx) }),
  }),
];
