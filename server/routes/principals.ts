// The principal routes of the JSON API (SPEC 9): principals, their tokens and their signing keys
// (issue 14), and the allowed signers file.

import {
  createPrincipalRoute,
  createTokenRoute,
  deletePrincipalRoute,
  listPrincipalsRoute,
  listTokensRoute,
  revokeTokenRoute,
} from '../api.js';
import { addKeyRoute, allowedSignersRoute, listKeysRoute, revokeKeyRoute } from '../keysRoute.js';
import { exact, json, route, type Need, type Pattern } from './route.js';

const NAME = '([A-Za-z0-9][A-Za-z0-9._-]{0,63})';
const PRINCIPAL = new RegExp(`^/api/principals/${NAME}$`);
const TOKENS = new RegExp(`^/api/principals/${NAME}/tokens$`);
const TOKEN = new RegExp(`^/api/principals/${NAME}/tokens/(tok_[A-Za-z0-9_-]{12})$`);
const KEYS = new RegExp(`^/api/principals/${NAME}/keys$`);
const KEY = new RegExp(`^/api/principals/${NAME}/keys/(key_[A-Za-z0-9_-]{12})$`);

/** A path of a principal's name (and an id of its tokens or keys). */
function named(path: string, re: RegExp, allow?: string): Pattern<{ name: string; id: string }> {
  return {
    paths: [path],
    match: (path) => {
      const m = re.exec(path);
      return m ? { name: m[1]!, id: m[2] ?? '' } : null;
    },
    ...(allow !== undefined ? { allow } : {}),
  };
}

const principals = exact('/api/principals', 'GET');
const principal = named('/api/principals/{name}', PRINCIPAL);
const tokens = named('/api/principals/{name}/tokens', TOKENS, 'GET');
const token = named('/api/principals/{name}/tokens/{token}', TOKEN);
const keys = named('/api/principals/{name}/keys', KEYS, 'GET');
const key = named('/api/principals/{name}/keys/{key}', KEY);

const manage: Need = { right: (r) => r.managePrincipals, what: 'manage principals' };
/** Tokens and keys: an admin's (`managePrincipals`) or the principal's own, known only with the name. */
const ownOrManaged: Need = {
  none: 'by name: the principal itself, or one whose kind manages principals (tokenOps, keyOps)',
};

/** The principal, token and key routes. */
export const principalRoutes = [
  route({
    kind: 'principals-list',
    method: 'GET',
    pattern: principals,
    need: manage,
    handler: async ({ ctx, principal: p }) => json(await listPrincipalsRoute(ctx, p)),
  }),
  route({
    kind: 'principals-create',
    method: 'POST',
    pattern: principals,
    need: manage,
    handler: async ({ ctx, req, principal: p }) => json(await createPrincipalRoute(ctx, req, p)),
  }),
  route({
    kind: 'principals-delete',
    method: 'DELETE',
    pattern: principal,
    need: manage,
    handler: async ({ ctx, principal: p }, u) => json(await deletePrincipalRoute(ctx, p, u.name)),
  }),
  route({
    kind: 'tokens-create',
    method: 'POST',
    pattern: tokens,
    need: ownOrManaged,
    handler: async ({ ctx, req, signedIn }, u) => json(await createTokenRoute(ctx, req, signedIn, u.name)),
  }),
  route({
    kind: 'tokens-list',
    method: 'GET',
    pattern: tokens,
    need: ownOrManaged,
    handler: async ({ ctx, principal: p }, u) => json(await listTokensRoute(ctx, p, u.name)),
  }),
  route({
    kind: 'tokens-revoke',
    method: 'DELETE',
    pattern: token,
    need: ownOrManaged,
    handler: async ({ ctx, principal: p }, u) => json(await revokeTokenRoute(ctx, p, u.name, u.id)),
  }),
  route({
    kind: 'keys-create',
    method: 'POST',
    pattern: keys,
    need: ownOrManaged,
    handler: async ({ ctx, req, principal: p }, u) => json(await addKeyRoute(ctx, req, p, u.name)),
  }),
  route({
    kind: 'keys-list',
    method: 'GET',
    pattern: keys,
    need: ownOrManaged,
    handler: async ({ ctx, principal: p }, u) => json(await listKeysRoute(ctx, p, u.name)),
  }),
  route({
    kind: 'keys-revoke',
    method: 'DELETE',
    pattern: key,
    need: ownOrManaged,
    handler: async ({ ctx, principal: p }, u) => json(await revokeKeyRoute(ctx, p, u.name, u.id)),
  }),
  route({
    kind: 'allowed-signers',
    method: 'GET',
    pattern: exact('/api/allowed-signers'),
    need: { none: 'any principal that reads some record: a participant once it takes part in one (keysRoute)' },
    async handler({ ctx, principal: p }) {
      const text = await allowedSignersRoute(ctx, p);
      return {
        type: 'text',
        status: 200,
        text,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) },
      };
    },
  }),
];
