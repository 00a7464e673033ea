// The signing key routes of issue 14: a principal's keys (add, list, revoke) and the allowed
// signers file every clone can check commits with (`git -c gpg.ssh.allowedSignersFile=F verify-commit`).

import type { IncomingMessage } from 'node:http';
import { Forbidden } from '../core/errors.js';
import { fingerprint } from '../core/ssh/keys.js';
import type { Principal } from '../core/principal.js';
import { rightsOf } from '../core/rights.js';
import { participantOf } from './access.js';
import type { Answer } from './api.js';
import type { ServerContext } from './context.js';
import { readJson } from './http.js';
import { addKey, allowedSignersFile, keyView, listKeys, revokeKey } from './identity/keyOps.js';

/** POST /api/principals/<name>/keys: 201 with the key's id and fingerprint. */
export async function addKeyRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  p: Principal,
  name: string,
): Promise<Answer> {
  const body = await readJson(req, ctx.options.maxRequestBytes);
  const key = await addKey(ctx.identity.store, p, name, body, new Set([fingerprint(ctx.siteKey.publicKey)])).finally(
    () => ctx.identity.audited(),
  );
  return { status: 201, body: keyView(key) };
}

/** GET /api/principals/<name>/keys: public keys only, revoked ones with their revocation time. */
export async function listKeysRoute(ctx: ServerContext, p: Principal, name: string): Promise<Answer> {
  return { status: 200, body: { keys: (await listKeys(ctx.identity.store, p, name)).map(keyView) } };
}

/** DELETE /api/principals/<name>/keys/<id>: the key is kept, revoked now. */
export async function revokeKeyRoute(ctx: ServerContext, p: Principal, name: string, id: string): Promise<Answer> {
  const key = await revokeKey(ctx.identity.store, p, name, id).finally(() => ctx.identity.audited());
  return { status: 200, body: keyView(key) };
}

/**
 * GET /api/allowed-signers: any principal that may read some record (a participant once it takes
 * part in one); the names of principals who sign are what it reveals. The site key's line comes
 * first, as `ccr-server`.
 */
export async function allowedSignersRoute(ctx: ServerContext, p: Principal): Promise<string> {
  const self = rightsOf(p).read === 'as-participant' ? participantOf(p) : undefined;
  const mine = self ? await ctx.identity.records.recordsOf(self.participantId, undefined, 1) : null;
  if (mine && mine.items.length === 0) {
    throw new Forbidden('only principals who may read some record may read the allowed signers');
  }
  // The site key first: the server's own commits and receipts (namespaces git and ccr-receipt).
  return `${ctx.siteKey.allowedSigner}\n${allowedSignersFile(await ctx.identity.store.keys())}`;
}
