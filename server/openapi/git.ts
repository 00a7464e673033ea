// The git smart-HTTP endpoints of a record (server/gitRoute.ts): what any git client speaks.

import { errors, pathParam, queryParam, ref, type Paths } from './types.js';

const record = pathParam('id', 'the record id (the URL may end in `.git`)', ref('RecordId'));
const binary = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: { type: 'string', contentMediaType: type } } },
});
const note =
  'A participant principal reads and pushes its view of the record (SPEC 12); a push is judged by every rule of SPEC 8 ' +
  'in the pre-receive hook and refused with `remote:` lines naming the rule ids.';

export const paths: Paths = {
  '/coordination/{id}.git/info/refs': {
    parameters: [record],
    get: {
      tags: ['git'],
      operationId: 'gitAdvertise',
      summary: 'Ref advertisement (git smart HTTP)',
      description: note,
      parameters: [queryParam('service', 'the git service', { enum: ['git-upload-pack', 'git-receive-pack'] }, true)],
      responses: {
        200: binary('application/x-git-upload-pack-advertisement', "the advertisement (or receive-pack's)"),
        ...errors(401, 403, 404, 405, 503),
      },
    },
  },
  '/coordination/{id}.git/git-upload-pack': {
    parameters: [record],
    post: {
      tags: ['git'],
      operationId: 'gitUploadPack',
      summary: 'Fetch and clone (git smart HTTP)',
      description: note,
      requestBody: {
        required: true,
        content: {
          'application/x-git-upload-pack-request': {
            schema: { type: 'string', contentMediaType: 'application/x-git-upload-pack-request' },
          },
        },
      },
      responses: {
        200: binary('application/x-git-upload-pack-result', 'the pack'),
        ...errors(400, 401, 404, 405, 413, 503),
      },
    },
  },
  '/coordination/{id}.git/git-receive-pack': {
    parameters: [record],
    post: {
      tags: ['git'],
      operationId: 'gitReceivePack',
      summary: 'Push (git smart HTTP); auditors are refused',
      description: note,
      requestBody: {
        required: true,
        content: {
          'application/x-git-receive-pack-request': {
            schema: { type: 'string', contentMediaType: 'application/x-git-receive-pack-request' },
          },
        },
      },
      responses: {
        200: binary('application/x-git-receive-pack-result', 'the report (refusals as `remote:` lines)'),
        ...errors(400, 401, 403, 404, 405, 413, 503),
      },
    },
  },
};
