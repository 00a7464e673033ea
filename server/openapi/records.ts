// Records (server/api.ts).

import { errors, json, pathParam, queryParam, ref, type Paths } from './types.js';

export const paths: Paths = {
  '/api/records': {
    get: {
      tags: ['records'],
      operationId: 'listRecords',
      summary: 'Record ids in order (admin, auditor, site; a participant: its own)',
      parameters: [
        queryParam('after', 'the last id of the previous page', ref('RecordId')),
        queryParam('limit', '1–1000, default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
      ],
      responses: { 200: json(ref('RecordList'), 'a page of record ids'), ...errors(400, 401, 403, 503) },
    },
    post: {
      tags: ['records'],
      operationId: 'createRecord',
      summary: 'Create a record, optionally with a first thread',
      parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }],
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewRecord') } } },
      responses: {
        201: json(ref('RecordCreated'), 'the record'),
        ...errors(400, 401, 403, 409, 413, 415, 422, 429, 507),
      },
    },
  },
  '/api/records/{id}': {
    parameters: [pathParam('id', 'the record id', ref('RecordId'))],
    get: {
      tags: ['records'],
      operationId: 'recordSummary',
      summary: 'The record status and a summary of every thread the principal may read',
      responses: { 200: json(ref('RecordSummary'), 'the summary'), ...errors(401, 404, 405, 503) },
    },
  },
};
