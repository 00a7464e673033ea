// Operations: health, metrics, and this document.

import { errors, json, type Paths } from './types.js';

export const paths: Paths = {
  '/healthz': {
    get: {
      tags: ['ops'],
      operationId: 'health',
      summary: 'Liveness (no credentials)',
      security: [],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['status'],
            additionalProperties: false,
            properties: { status: { const: 'ok' } },
          },
          'alive',
        ),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['ops'],
      operationId: 'metrics',
      summary: 'Prometheus metrics (admin, auditor)',
      responses: {
        200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...errors(401, 403, 405),
      },
    },
  },
  '/api/openapi.json': {
    get: {
      tags: ['ops'],
      operationId: 'openapi',
      summary: 'This document (no credentials)',
      security: [],
      responses: {
        200: json({ type: 'object' }, 'the OpenAPI 3.1 document'),
        405: { $ref: '#/components/responses/E405' },
      },
    },
  },
};
