// OpenAPI 3.1 path items of the events feed and webhooks (issue 16), for the API document
// (server/openapi/index.ts merges them). Self-contained: every schema is inline.

const error = {
  description: 'Refused; the body says why',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, request: { type: 'string' } },
          },
        },
      },
    },
  },
};

const kinds = {
  type: 'string',
  enum: ['record.created', 'record.updated', 'thread.created', 'thread.updated', 'message.added'],
};

/** An event, as in the feed and as each webhook delivery's body. */
export const eventSchema = {
  type: 'object',
  required: ['cursor', 'kind', 'record', 'commit', 'head', 'time'],
  additionalProperties: false,
  properties: {
    cursor: {
      type: 'string',
      pattern: '^[0-9]+$',
      description: 'Its place in the feed; give it as `after` to read what follows',
    },
    kind: kinds,
    record: { type: 'string', format: 'uuid' },
    thread: { type: 'string' },
    message: { type: 'string', format: 'uuid' },
    changes: { type: 'array', items: { type: 'string', enum: ['status', 'participants', 'visibility', 'policies'] } },
    commit: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'The commit of main that made the change' },
    head: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'main after the move that brought it' },
    time: { type: 'string', format: 'date-time' },
  },
  example: {
    cursor: '42',
    kind: 'message.added',
    record: '0f1e2d3c-4b5a-4697-8877-665544332211',
    thread: '20261203T021500123Z-5b1f7c9e-2d4a-4e8b-9c3f-1a2b3c4d5e6f',
    message: '7c9e5b1f-2d4a-4e8b-9c3f-1a2b3c4d5e6f',
    commit: '8f3c2a1d9e3b4a7c8f1e6b0d2c5a9f128f3c2a1d',
    head: '8f3c2a1d9e3b4a7c8f1e6b0d2c5a9f128f3c2a1d',
    time: '2026-12-03T02:15:00.000Z',
  },
};

const hook = {
  type: 'object',
  required: ['id', 'owner', 'url', 'records', 'created_at'],
  properties: {
    id: { type: 'string', pattern: '^hook_[A-Za-z0-9_-]{16}$' },
    owner: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    records: { oneOf: [{ const: 'all' }, { type: 'array', items: { type: 'string', format: 'uuid' } }] },
    kinds: { type: 'array', items: kinds },
    created_at: { type: 'string', format: 'date-time' },
  },
};

const hookId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^hook_[A-Za-z0-9_-]{16}$' },
};
const security = [{ basic: [] }, { bearer: [] }];

/** The path items. */
export const paths: Record<string, unknown> = {
  '/api/events': {
    get: {
      operationId: 'listEvents',
      tags: ['events'],
      security,
      summary: 'A page of the events feed: what changed, in order, of what the caller may read',
      description:
        'Identifiers only, never message bodies or names. A participant reads the events of threads in its view (SPEC 12); admin, auditor, integration and site principals those of every record they may read.',
      parameters: [
        {
          name: 'after',
          in: 'query',
          schema: { type: 'string', pattern: '^[0-9]*$' },
          description: 'A cursor; the events after it (default: from the start)',
        },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        200: {
          description: 'The page and the cursor to ask after next',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['events', 'next'],
                properties: { events: { type: 'array', items: eventSchema }, next: { type: 'string' } },
              },
              example: { events: [eventSchema.example], next: '42' },
            },
          },
        },
        400: error,
        401: error,
      },
    },
  },
  '/api/webhooks': {
    post: {
      operationId: 'createWebhook',
      tags: ['events'],
      security,
      summary: "Register a webhook (admin, integration); only to a host on the operator's allow-list",
      description:
        "Each event is POSTed as JSON (the feed's event) with `X-CCR-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`, `X-CCR-Delivery` (the same across retries) and `X-CCR-Event`. At least once; retried with exponential back-off for a day.",
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['url', 'secret', 'records'],
              properties: {
                url: { type: 'string', format: 'uri' },
                secret: { type: 'string', minLength: 16, maxLength: 256 },
                records: {
                  oneOf: [
                    { const: 'all' },
                    { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', format: 'uuid' } },
                  ],
                },
                kinds: { type: 'array', minItems: 1, items: kinds },
              },
            },
            example: {
              url: 'https://ehr.example.org/ccr-events',
              secret: 'a-long-random-shared-secret',
              records: 'all',
              kinds: ['message.added'],
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Registered (the secret is never shown again)',
          content: { 'application/json': { schema: hook } },
        },
        400: error,
        401: error,
        403: error,
      },
    },
    get: {
      operationId: 'listWebhooks',
      tags: ['events'],
      security,
      summary: 'The webhooks the caller manages (an admin: every one)',
      responses: {
        200: {
          description: 'Hooks, without secrets',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['webhooks'],
                properties: { webhooks: { type: 'array', items: hook } },
              },
            },
          },
        },
        401: error,
        403: error,
      },
    },
  },
  '/api/webhooks/{id}': {
    delete: {
      operationId: 'deleteWebhook',
      tags: ['events'],
      security,
      parameters: [hookId],
      summary: 'Remove a webhook and its pending deliveries',
      responses: { 204: { description: 'Removed' }, 401: error, 403: error, 404: error },
    },
  },
  '/api/webhooks/{id}/deliveries': {
    get: {
      operationId: 'listWebhookDeliveries',
      tags: ['events'],
      security,
      parameters: [hookId],
      summary: 'The delivery log of a webhook, latest first (the last 100)',
      responses: {
        200: {
          description: 'Deliveries',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['deliveries'],
                properties: {
                  deliveries: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['id', 'cursor', 'kind', 'record', 'state', 'attempts', 'created_at'],
                      properties: {
                        id: { type: 'string', pattern: '^dlv_' },
                        cursor: { type: 'string' },
                        kind: kinds,
                        record: { type: 'string', format: 'uuid' },
                        state: { type: 'string', enum: ['pending', 'delivered', 'failed', 'cancelled'] },
                        attempts: { type: 'integer', minimum: 0 },
                        created_at: { type: 'string', format: 'date-time' },
                        next_attempt_at: { type: 'string', format: 'date-time' },
                        last_status: { type: 'integer' },
                        last_error: { type: 'string' },
                        delivered_at: { type: 'string', format: 'date-time' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        401: error,
        403: error,
        404: error,
      },
    },
  },
};
