// `ccr principal add|list|remove` and `ccr principal token add|list|revoke`: manage the
// principals of a data folder in its identity database (a running server sees each change at its
// next request; principals.json of an older folder is moved in first). Each change is written
// with its audit entry, by `cli:<os user>`.

import { userInfo } from 'node:os';
import { InvalidInput, isCcrError } from '../core/errors.js';
import type { Principal, PrincipalKind } from '../core/principal.js';
import { createToken, expiresIn, listTokens, revokeToken } from '../store/tokenOps.js';
import { openHasher } from '../store/tokenHash.js';
import { checkPrincipalInput, newPrincipal, newToken, type PrincipalInput } from '../store/principals.js';
import type { StoredPrincipal } from '../store/identity.js';
import { openIdentityStores, type IdentityStores } from '../store/sqlite/open.js';
import { Failure, need, openDataDir, out, str, UsageError, type Command } from './args.js';

/** Who the audit trail names for a change made here. */
const actor = () => ({
  actor: `cli:${(() => {
    try {
      return userInfo().username;
    } catch {
      return 'unknown';
    }
  })()}`,
});

/** The identity database of the data folder; a principals.json that cannot be moved in says what to do. */
async function open(v: Record<string, unknown>, create: boolean): Promise<{ stores: IdentityStores; path: string }> {
  const { path, created } = await openDataDir(v['data'], create);
  if (created && v['json'] !== true) process.stderr.write(`ccr: created the data folder ${path}\n`);
  const stores = await openIdentityStores(path, actor()).catch((e: unknown) => {
    if (isCcrError(e) && /principals\.json/.test((e as Error).message)) {
      throw new Failure(
        `${path}/principals.json cannot be read: ${(e as Error).message}`,
        'restore it from a backup (ccr doctor checks it)',
      );
    }
    throw e;
  });
  return { stores, path };
}

/** Run with the stores open, closing them whatever happens. */
async function withStores<T>(
  v: Record<string, unknown>,
  create: boolean,
  fn: (s: IdentityStores, path: string) => Promise<T>,
): Promise<T> {
  const { stores, path } = await open(v, create);
  try {
    return await fn(stores, path);
  } finally {
    await stores.close();
  }
}

/** The operator at the command line manages every principal's tokens, as an admin does; the audit trail names them. */
const operator = (): Principal => ({ kind: 'admin', name: actor().actor });

const line = (p: StoredPrincipal) =>
  `${p.name}\t${p.kind}` + (p.kind === 'participant' ? `\t${p.participant_id}\t${p.role}\t${p.display_name}` : '');

export const principal: Command = {
  help: `ccr principal add <name> --kind admin|auditor|site|integration|participant [--participant-id ID --role ROLE --display-name NAME] [--data DIR]
ccr principal list [--data DIR]
ccr principal remove <name> [--data DIR]
ccr principal token add <name> [--label TEXT] [--expires-in 90d|12h|30m] [--data DIR]
ccr principal token list <name> [--data DIR]
ccr principal token revoke <name> <token-id> [--data DIR]

Principals and their tokens live in <data>/identity.sqlite. A token is printed once; only its keyed
hash is kept (the key is <data>/token.key). A principal may hold several tokens, each with a label
and an optional expiry; a revoked or expired token stops working at once, for git and the API.
\`add\` creates the data folder when it does not exist yet (a server started on it later finds the principals).

Example:
  ccr principal add jane --kind participant --participant-id 4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12 \\
      --role clinician --display-name "Dr Jane Smith"
  ccr principal token add jane --label laptop --expires-in 90d`,
  options: {
    data: { type: 'string' },
    kind: { type: 'string' },
    'participant-id': { type: 'string' },
    role: { type: 'string' },
    'display-name': { type: 'string' },
    label: { type: 'string' },
    'expires-in': { type: 'string' },
  },
  async run(v, [action, name, third, fourth]) {
    const json = v['json'] === true;
    if (action === 'token') return token(v, name, third, fourth, json);
    if (action === 'list') {
      const all = await withStores(v, false, async (s) => {
        const list: StoredPrincipal[] = [];
        for (let after: string | undefined, more = true; more;) {
          const page = await s.identity.principals(after, 1000);
          list.push(...page.items);
          after = page.next;
          more = after !== undefined;
        }
        return list;
      });
      out(json, all, all.map(line).join('\n') || '(no principals)');
      return 0;
    }
    if (action !== 'add' && action !== 'remove') {
      throw new UsageError(
        action
          ? `unknown action ${action}; use add, list, remove or token`
          : 'use: ccr principal add|list|remove|token …',
      );
    }
    if (!name) throw new UsageError(`ccr principal ${action} needs a name`);
    if (action === 'add') {
      const input: PrincipalInput = {
        name,
        kind: need(v['kind'], 'kind') as PrincipalKind,
        ...(str(v['participant-id']) ? { participant_id: str(v['participant-id'])! } : {}),
        ...(str(v['role']) ? { role: str(v['role'])! } : {}),
        ...(str(v['display-name']) ? { display_name: str(v['display-name'])! } : {}),
      };
      try {
        checkPrincipalInput(input);
      } catch (e) {
        if (e instanceof InvalidInput)
          throw new UsageError(
            e.message.replace(/\b(participant_id|display_name|kind|role)\b/g, (k) => `--${k.replace('_', '-')}`),
          );
        throw e;
      }
      const created = await withStores(v, true, async (s, path) => {
        const hasher = await openHasher(`${path}/token.key`, s.identity);
        const secret = newToken();
        await s.identity.createPrincipal(newPrincipal(input), { hash: hasher.hash(secret) }, actor());
        return { name: input.name, kind: input.kind, token: secret };
      });
      out(json, created, `created ${created.kind} principal ${created.name}\ntoken (shown once): ${created.token}`);
      return 0;
    }
    await withStores(v, false, (s) => s.identity.removePrincipal(name, actor()));
    out(json, { removed: name }, `removed principal ${name}`);
    return 0;
  },
};

/** `ccr principal token add|list|revoke`, through the same operations as the API routes. */
async function token(
  v: Record<string, unknown>,
  action: string | undefined,
  name: string | undefined,
  id: string | undefined,
  json: boolean,
): Promise<number> {
  if (action !== 'add' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(
      action
        ? `unknown action token ${action}; use token add, list or revoke`
        : 'use: ccr principal token add|list|revoke <name> …',
    );
  }
  if (!name) throw new UsageError(`ccr principal token ${action} needs a principal's name`);
  if (action === 'revoke' && !id) {
    throw new UsageError('ccr principal token revoke needs the token id (ccr principal token list shows them)');
  }
  const as = operator();
  return withStores(v, false, async (s, path) => {
    const store = s.identity;
    if (action === 'add') {
      const expires = str(v['expires-in']);
      const label = str(v['label']);
      let body: { label?: string; expires_at?: string };
      try {
        body = {
          ...(label !== undefined ? { label } : {}),
          ...(expires !== undefined ? { expires_at: expiresIn(expires) } : {}),
        };
      } catch (e) {
        usage(e);
      }
      const hasher = await openHasher(`${path}/token.key`, s.identity);
      const made = await createToken(store, hasher, as, name, body).catch(usage);
      out(
        json,
        made,
        `token ${made.id} for ${name}${made.expires_at ? `, expires ${made.expires_at}` : ''}\n` +
          `token (shown once): ${made.token}`,
      );
    } else if (action === 'list') {
      const { tokens } = await listTokens(store, as, name);
      out(
        json,
        { tokens },
        tokens
          .map(
            (t) =>
              `${t.id}\t${t.label ?? '-'}\tcreated ${t.created_at}` +
              `\texpires ${t.expires_at ?? 'never'}` +
              `\tlast used ${t.last_used_at ?? 'never'}`,
          )
          .join('\n') || '(no tokens)',
      );
    } else {
      await revokeToken(store, as, name, id!).catch(usage);
      out(json, { revoked: id, principal: name }, `revoked token ${id} of ${name}`);
    }
    return 0;
  });
}

/** Input refused by the token operations is a usage error here (exit 2). */
function usage(e: unknown): never {
  if (e instanceof InvalidInput) throw new UsageError(e.message.replace(/\bexpires_at\b/, '--expires-in'));
  throw e;
}
