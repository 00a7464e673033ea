// Threads and messages over JSON (server/threadsRoute.ts).

import { errors, json, pathParam, queryParam, ref, type Paths } from './types.js';

const record = pathParam('id', 'the record (coordination) id', ref('RecordId'));
const thread = pathParam('thread', 'the thread id', ref('ThreadId'));
const key = { $ref: '#/components/parameters/IdempotencyKey' };
const replayed = {
  'Idempotent-Replayed': {
    description: '`true` when this is the stored first answer to the same Idempotency-Key',
    schema: { type: 'string' },
  },
};

export const paths: Paths = {
  '/api/records/{id}/threads': {
    parameters: [record],
    get: {
      tags: ['threads'],
      operationId: 'listThreads',
      summary: 'The threads the principal may read (a participant: those of its view)',
      parameters: [queryParam('status', 'only threads of these statuses (comma-separated: open, closed, archived)')],
      responses: { 200: json(ref('ThreadList'), 'the threads, oldest first'), ...errors(400, 401, 404, 405, 503) },
    },
    post: {
      tags: ['threads'],
      operationId: 'createThread',
      summary: 'Create a thread (one commit, judged as a push by the principal would be)',
      parameters: [key],
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewThread') } } },
      responses: {
        201: { ...json(ref('ThreadCreated'), 'the thread and the commit on main'), headers: replayed },
        ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429, 503, 507),
      },
    },
  },
  '/api/records/{id}/threads/{thread}': {
    parameters: [record, thread],
    get: {
      tags: ['threads'],
      operationId: 'readThread',
      summary: 'A thread: its ledger and its messages in order',
      responses: { 200: json(ref('Thread'), 'the thread'), ...errors(401, 404, 405, 503) },
    },
    patch: {
      tags: ['threads'],
      operationId: 'updateThread',
      summary: 'Change participants, status, visibility or policies; the system messages are added',
      parameters: [key],
      requestBody: { required: true, content: { 'application/json': { schema: ref('ThreadUpdate') } } },
      responses: {
        200: { ...json(ref('ThreadCreated'), 'the thread and the commit on main'), headers: replayed },
        ...errors(400, 401, 403, 404, 409, 413, 415, 422, 503, 507),
      },
    },
  },
  '/api/records/{id}/threads/{thread}/messages': {
    parameters: [record, thread],
    post: {
      tags: ['threads'],
      operationId: 'postMessage',
      summary: 'Append a message or a correction (one commit, judged as a push by the principal would be)',
      parameters: [key],
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewMessage') } } },
      responses: {
        201: { ...json(ref('MessageCreated'), 'the message id and the commit on main'), headers: replayed },
        ...errors(400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503, 507),
      },
    },
  },
};
