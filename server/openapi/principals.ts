// Principals, their tokens and signing keys, and the allowed signers file (server/api.ts, server/keysRoute.ts).

import { errors, json, pathParam, ref, type Paths } from './types.js';

const name = pathParam('name', 'the principal name', { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

export const paths: Paths = {
  '/api/principals': {
    get: {
      tags: ['principals'],
      operationId: 'listPrincipals',
      summary: 'Every principal, without secrets (admin)',
      responses: { 200: json(ref('PrincipalList'), 'the principals'), ...errors(401, 403) },
    },
    post: {
      tags: ['principals'],
      operationId: 'createPrincipal',
      summary: 'Create a principal and its first token (admin)',
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewPrincipal') } } },
      responses: {
        201: json(ref('PrincipalCreated'), 'the principal and its token, shown once'),
        ...errors(400, 401, 403, 409, 413, 415),
      },
    },
  },
  '/api/principals/{name}': {
    parameters: [name],
    delete: {
      tags: ['principals'],
      operationId: 'deletePrincipal',
      summary: 'Delete a principal (admin; never the last admin)',
      responses: { 204: { description: 'deleted' }, ...errors(401, 403, 404, 405, 409) },
    },
  },
  '/api/principals/{name}/tokens': {
    parameters: [name],
    get: {
      tags: ['principals'],
      operationId: 'listTokens',
      summary: "A principal's tokens, without secrets (admin, or itself)",
      responses: { 200: json(ref('TokenList'), 'the tokens'), ...errors(401, 403, 404) },
    },
    post: {
      tags: ['principals'],
      operationId: 'createToken',
      summary: 'A new token (admin, or itself, bounded by its own credential)',
      requestBody: { required: false, content: { 'application/json': { schema: ref('NewToken') } } },
      responses: { 201: json(ref('TokenCreated'), 'the token, shown once'), ...errors(400, 401, 403, 404, 413, 415) },
    },
  },
  '/api/principals/{name}/tokens/{token}': {
    parameters: [name, pathParam('token', 'the token id', { type: 'string', pattern: '^tok_[A-Za-z0-9_-]{12}$' })],
    delete: {
      tags: ['principals'],
      operationId: 'revokeToken',
      summary: 'Revoke a token: it stops working at once',
      responses: { 204: { description: 'revoked' }, ...errors(401, 403, 404, 405) },
    },
  },
  '/api/principals/{name}/keys': {
    parameters: [name],
    get: {
      tags: ['principals'],
      operationId: 'listKeys',
      summary: "A principal's signing keys (public keys; revoked ones with revoked_at)",
      responses: { 200: json(ref('KeyList'), 'the keys'), ...errors(401, 403, 404) },
    },
    post: {
      tags: ['principals'],
      operationId: 'addKey',
      summary: 'Register an SSH signing key (admin, or itself)',
      requestBody: { required: true, content: { 'application/json': { schema: ref('NewKey') } } },
      responses: {
        201: json(ref('Key'), 'the key with its id and fingerprint'),
        ...errors(400, 401, 403, 404, 409, 413, 415),
      },
    },
  },
  '/api/principals/{name}/keys/{key}': {
    parameters: [name, pathParam('key', 'the key id', { type: 'string', pattern: '^key_[A-Za-z0-9_-]{12}$' })],
    delete: {
      tags: ['principals'],
      operationId: 'revokeKey',
      summary: 'Revoke a key (kept, revoked now)',
      responses: { 200: json(ref('Key'), 'the revoked key'), ...errors(401, 403, 404, 405) },
    },
  },
  '/api/allowed-signers': {
    get: {
      tags: ['principals'],
      operationId: 'allowedSigners',
      summary: 'The allowed_signers file for `git verify-commit`',
      responses: {
        200: { description: 'one line per key', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...errors(401, 403, 405),
      },
    },
  },
};
