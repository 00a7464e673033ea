// The events feed and webhook routes (issue 16).

import { createWebhookRoute, eventsRoute } from '../events/routes.js';
import { exact, json, route, type Need, type Pattern } from './route.js';

const WEBHOOK = /^\/api\/webhooks\/(hook_[A-Za-z0-9_-]{16})$/;
const DELIVERIES = /^\/api\/webhooks\/(hook_[A-Za-z0-9_-]{16})\/deliveries$/;

/** A path of one hook. */
function hook(path: string, re: RegExp): Pattern<{ id: string }> {
  return {
    paths: [path],
    match: (path) => {
      const id = re.exec(path)?.[1];
      return id === undefined ? null : { id };
    },
  };
}

const webhooks = exact('/api/webhooks', 'GET');
const manage: Need = { right: (r) => r.manageWebhooks, what: 'manage webhooks' };

/** The events and webhook routes. */
export const eventRoutes = [
  route({
    kind: 'events',
    method: 'GET',
    pattern: exact('/api/events'),
    need: { none: 'every kind reads the feed, filtered to what its `read` reaches (EventFeed.page)' },
    handler: async ({ ctx, principal, query }) =>
      json(eventsRoute(ctx.events, principal, query.get('after') ?? undefined, query.get('limit') ?? undefined)),
  }),
  route({
    kind: 'webhooks-create',
    method: 'POST',
    pattern: webhooks,
    need: { right: (r) => r.manageWebhooks, what: 'register webhooks' },
    handler: async ({ ctx, req, principal }) =>
      json(await createWebhookRoute(ctx.events, req, principal, ctx.options.maxRequestBytes)),
  }),
  route({
    kind: 'webhooks-list',
    method: 'GET',
    pattern: webhooks,
    need: manage,
    handler: async ({ ctx, principal }) => json({ status: 200, body: ctx.events.webhooks.list(principal) }),
  }),
  route({
    kind: 'webhooks-delete',
    method: 'DELETE',
    pattern: hook('/api/webhooks/{id}', WEBHOOK),
    need: manage,
    handler: async ({ ctx, principal }, p) => {
      ctx.events.webhooks.remove(principal, p.id);
      return json({ status: 204, body: null });
    },
  }),
  route({
    kind: 'webhook-deliveries',
    method: 'GET',
    pattern: hook('/api/webhooks/{id}/deliveries', DELIVERIES),
    need: manage,
    handler: async ({ ctx, principal }, p) =>
      json({ status: 200, body: ctx.events.webhooks.deliveries(principal, p.id) }),
  }),
];
