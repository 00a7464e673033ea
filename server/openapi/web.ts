// The read-only web view (server/webRoute.ts): pages for a person with a browser and credentials.

import { pathParam, ref, type Paths } from './types.js';

const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const pageErrors = {
  401: html('sign-in required (a page)'),
  404: html('no such page, or not readable by this principal (a page)'),
  405: html('only GET'),
  500: html('an error page naming the request id'),
};
const record = pathParam('id', 'the record id', ref('RecordId'));

export const paths: Paths = {
  '/records/{id}': {
    parameters: [record],
    get: {
      tags: ['web'],
      operationId: 'webRecord',
      summary: 'The record as a page: status and open and closed threads',
      responses: { 200: html('the page'), ...pageErrors },
    },
  },
  '/records/{id}/archived': {
    parameters: [record],
    get: {
      tags: ['web'],
      operationId: 'webArchived',
      summary: "The record's archived threads as a page",
      responses: { 200: html('the page'), ...pageErrors },
    },
  },
  '/records/{id}/threads/{thread}': {
    parameters: [record, pathParam('thread', 'the thread id', ref('ThreadId'))],
    get: {
      tags: ['web'],
      operationId: 'webThread',
      summary: 'One thread as a page, markdown rendered and sanitised',
      responses: { 200: html('the page'), ...pageErrors },
    },
  },
};
