// The identity side of a running server, in one place: the identity database of the data folder
// (principals.json moved into it on first start), the token hasher, the door every request goes
// through (tokens and, when configured, single sign-on), the "my records" index fed by the
// server's `mainMoved` hooks, and the forwarding of audit entries into the access log.

import type { ParticipantBinding } from '../../core/principal.js';
import { CannotStart, isCcrError } from '../../core/errors.js';
import type { IdentityStore, RecordIndex } from '../../store/identity.js';
import { DB_FILE } from '../../store/sqlite/db.js';
import type { IdempotencyStore } from '../../store/sqlite/idempotencyStore.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import type { ParticipantIndex } from '../access.js';
import type { AccessLog } from '../accessLog.js';
import type { Logger } from '../log.js';
import type { RecordStore } from '../../store/records.js';
import type { TokenHasher } from '../../store/tokenHash.js';
import { forwardAudit } from './audit.js';
import { Authenticator } from './credentials.js';
import { OidcVerifier, type OidcConfig } from './oidc.js';
import { RecordIndexer, participantsFromRecords } from './recordIndexer.js';
import { TokenAuthenticator } from './tokens.js';
import { openHasher } from '../../store/tokenHash.js';

/** What the server's routes use of identity. */
export interface ServerIdentity {
  store: IdentityStore;
  /** The bindings of a participant id, synchronously (core's BindingLookup: record creation). */
  bindingsNow(participantId: string): ParticipantBinding[];
  /** The database file, which validator threads open read-only for their binding look-ups. */
  database: string;
  hasher: TokenHasher;
  auth: Authenticator;
  records: RecordIndex;
  /** Answers of API writes by Idempotency-Key (issue 16). */
  idempotency: IdempotencyStore;
  indexer: RecordIndexer;
  /** Forward audit entries not yet in the access log (after each change; chained, one at a time). */
  audited(): Promise<void>;
  /** Finish index updates, write pending token uses, close the database. */
  close(): Promise<void>;
}

/** What opening the identity side needs from the server. */
export interface IdentityDeps {
  data: string;
  log: Logger;
  oidc: OidcConfig | undefined;
}

/**
 * Open the identity database (migrating principals.json), the hasher and the sign-on verifier.
 * The record index and the access log come later (`attach`), once the server has them.
 */
export async function openServerIdentity(deps: IdentityDeps): Promise<{
  identity: Omit<ServerIdentity, 'indexer' | 'audited'>;
  attach(records: RecordStore, participants: ParticipantIndex, accessLog: AccessLog): ServerIdentity;
}> {
  const { data, log } = deps;
  const json = `${data}/principals.json`;
  const stores = await openIdentityStores(data, { actor: 'server' }).catch((e: unknown) => {
    if (isCcrError(e) && /principals\.json/.test((e as Error).message)) {
      throw new CannotStart(`${json} cannot be used: ${(e as Error).message}`, {
        hint: 'restore it from a backup (ccr doctor checks it); it holds principal names and token hashes only',
      });
    }
    throw e;
  });
  try {
    if (stores.migration.keptAs) {
      log('warn', 'principals-migrated', {
        imported: stores.migration.imported,
        database: `${data}/${DB_FILE}`,
        keptAs: stores.migration.keptAs,
      });
    }
    const hasher = await openHasher(`${data}/token.key`, stores.identity);
    const tokens = new TokenAuthenticator(stores.identity, hasher, log);
    // A participant created at sign-on is a change like any other: forwarded to the access log.
    let changed: () => Promise<void> = async () => undefined;
    const oidc = deps.oidc
      ? new OidcVerifier(
          deps.oidc,
          {
            principal: (name) => stores.identity.principal(name),
            bindings: (id) => stores.identity.bindings(id),
            createPrincipal: (p, token, by, implicit) =>
              stores.identity.createPrincipal(p, token, by, implicit).finally(() => changed()),
          },
          log,
        )
      : null;
    const identity = {
      store: stores.identity,
      bindingsNow: (id: string) => stores.identity.bindingsNow(id),
      database: `${data}/${DB_FILE}`,
      hasher,
      auth: new Authenticator(tokens, oidc, log),
      records: stores.records,
      idempotency: stores.idempotency,
      close: () => stores.close(),
    };
    return {
      identity,
      attach(records, participants, accessLog) {
        const indexer = new RecordIndexer(stores.records, participantsFromRecords(records, participants), log);
        // Every start compares each record's head with the index (cheap when nothing moved): a lost
        // index is rebuilt, and one a crash left behind a move, or offline writes, are caught up.
        let stopping = false;
        const list = (after: string | undefined, limit: number) =>
          stopping ? Promise.reject(new Error('stopping')) : records.list(after, limit);
        const rebuilt = indexer.rebuild(list).then(
          () => undefined,
          (e: unknown) => {
            if (!stopping) log('error', 'record-index-rebuild-failed', { error: e });
          },
        );
        let chain = Promise.resolve();
        const audited = () =>
          (chain = chain
            .then(() => forwardAudit(stores.identity, (e) => accessLog.append(e)))
            .then(
              () => undefined,
              (e: unknown) => log('error', 'audit-forward-failed', { error: e }),
            ));
        changed = audited;
        return {
          ...identity,
          indexer,
          audited,
          close: async () => {
            stopping = true;
            await rebuilt;
            await indexer.idle();
            await chain;
            await stores.close();
          },
        };
      },
    };
  } catch (e) {
    await stores.close();
    throw e;
  }
}
