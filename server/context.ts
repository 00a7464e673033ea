// What every part of a running server shares: its options, stores, logs and metrics.

import type { RecordId } from '../core/ids.js';
import type { ParticipantIndex } from './access.js';
import type { AccessLog } from './accessLog.js';
import type { AdvertisementSource } from './advertisement.js';
import type { HookEndpoint } from './hookEndpoint.js';
import type { Idempotency } from './idempotency.js';
import type { OidcConfig } from './identity/oidc.js';
import type { ServerIdentity } from './identity/serve.js';
import type { LogFormat, Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Quotas } from './quotas.js';
import type { Reader } from './reader.js';
import type { RecordStore } from '../store/records.js';
import type { ValidatorPool } from './validatorPool.js';
import type { MainAfter } from './validator.js';
import type { ServerEvents } from './events/routes.js';
import type { DeliveryOptions } from './events/webhooks.js';
import type { ServerViews } from './views.js';
import type { SiteKey } from '../store/siteKey.js';
import type { SitesConfig } from '../sync/peers.js';
import type { SyncScheduler } from '../sync/scheduler.js';

/** How a server runs; everything has an embedded default (`defaults` in server/index.ts). */
export interface ServerOptions {
  /** Data folder: records, principals, access log, git configuration. */
  data: string;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  /** The URL clients reach the server at, for clone URLs (default: from host and port). */
  publicUrl?: string;
  /** Token of the bootstrap `admin` principal on first start (else a random one is printed). */
  adminToken?: string;
  /** Largest request body, after gzip inflation, for pushes (bytes). */
  maxPushBytes: number;
  /** Largest request body for fetch negotiation and the JSON API (bytes). */
  maxRequestBytes: number;
  /** Time to receive the request headers (ms). */
  headersTimeoutMs: number;
  /** A connection silent for this long is closed (ms). */
  idleTimeoutMs: number;
  /** A sync round's network operation (fetch, push, API call) past this is abandoned (ms). */
  syncTimeoutMs: number;
  /** Quiet time after a record's main moves before its storage is looked at (server/maintenance.ts; ms). */
  maintenancePauseMs: number;
  /** Time the validator may take to judge one push before it is refused (ms). */
  validationBudgetMs: number;
  /** Judge commit contents in pre-receive (false: ref rules only, a benchmark baseline). */
  validateContent: boolean;
  /** Judge a small push from its request's pack while git indexes it (server/prejudge.ts); false: only in the hook. */
  judgeAhead: boolean;
  /** Land a small push the rules accept ahead without receive-pack (server/landAhead.ts); false: git lands every push. */
  landAhead: boolean;
  /** Every pushed commit must be signed by a key registered to the pusher (issue 14). */
  requireSignedCommits?: boolean;
  /** Validator threads. */
  validatorThreads: number;
  /** Reader threads: API reads that parse record files run there, never on the event loop. */
  readerThreads: number;
  /** Time one read task may take before it is stopped and the request answered 503 (ms). */
  readBudgetMs: number;
  /** Bound of the cache of read results by object id (bytes). */
  readerCacheBytes: number;
  /** How long shutdown waits for requests in flight (ms). */
  shutdownGraceMs: number;
  /** Quiet this long (ms) after its heap grew, the main thread compacts it (server/heapRelease.ts); 0: never. */
  memoryReleaseMs: number;
  /** Where the structured log goes (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** One JSON object per line (default: for machines), or one readable line per event (a person at a terminal). */
  logFormat?: LogFormat;
  quiet?: boolean;
  /** Single sign-on: JWTs of this OpenID Connect issuer are taken as credentials (none without it). */
  oidc?: OidcConfig;
  /** Webhook deliveries: the hosts hooks may point at (`allow`, none by default), timeouts and retries. */
  webhooks?: Partial<DeliveryOptions>;
}

/** The shared state of a running server. */
export interface ServerContext {
  options: ServerOptions;
  baseUrl: string;
  records: RecordStore;
  /** Principals, tokens, sign-on and "my records" (the identity database under <data>/). */
  identity: ServerIdentity;
  participants: ParticipantIndex;
  /** Participants' views of records: what a participant principal reads and pushes to (SPEC 12). */
  views: ServerViews;
  hooks: HookEndpoint;
  validator: ValidatorPool;
  /** What git's ref advertisements taught, to answer the next ones without starting git. */
  advertisements: AdvertisementSource;
  reader: Reader;
  gitEnv: NodeJS.ProcessEnv;
  accessLog: AccessLog;
  metrics: Metrics;
  log: Logger;
  /**
   * Called after `main` of a record really moved: a push landed, or the record was created (sync
   * listens). `derived`: for a push, what its move brings as a validator thread derives it
   * (server/validator.ts MainAfter; undefined when it could not), for exactly that move.
   */
  mainMoved: Array<(id: RecordId, derived?: Promise<MainAfter | undefined>) => void>;
  /** Answers of the API's writes by Idempotency-Key (issue 16). */
  idempotency: Idempotency;
  /** What each principal may still add this period (<data>/quotas.json or the defaults). */
  quotas: Quotas;
  /** The peers of <data>/sites.json as read at start (none without the file). */
  sites: SitesConfig;
  /** The events feed and webhooks (<data>/events.sqlite). */
  events: ServerEvents;
  /** Background sync with peer sites, when <data>/sites.json names any. */
  sync?: SyncScheduler;
  /** The key the server signs its own commits and push receipts with (<data>/site-signing-key). */
  siteKey: SiteKey;
}
