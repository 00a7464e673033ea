// Starting and stopping a CCR server: data folder and its lock, git configuration, principals
// (the bootstrap admin on first start), the hook endpoint, validator threads, the HTTP(S)
// listener with its timeouts, and a shutdown that lets requests in flight finish. Start-up
// checks what can fail before it creates anything; a start that fails undoes what it did.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CannotStart, isCcrError } from '../core/errors.js';
import { version } from '../version.js';
import { Idempotency } from './idempotency.js';
import { ServerViews } from './views.js';
import { ParticipantIndex } from './access.js';
import { AccessLog } from './accessLog.js';
import { createHandler } from './app.js';
import type { ServerContext, ServerOptions } from './context.js';
import { installGitConfig } from '../git/config.js';
import { installHook } from '../git/hooks.js';
import { DEFAULT_MAX_PUSH_BYTES, DEFAULT_SYNC_TIMEOUT_MS } from '../git/limits.js';
import { judgeHook } from './gitRoute.js';
import { HookEndpoint } from './hookEndpoint.js';
import { logger } from './log.js';
import { Metrics } from './metrics.js';
import { openServerIdentity } from './identity/serve.js';
import { newToken } from '../store/principals.js';
import { Reader } from './reader.js';
import { RecordStore } from '../store/records.js';
import { ValidatorPool } from './validatorPool.js';
import type { MainAfter } from './validator.js';
import { Advertisements } from './advertisement.js';
import { loadSites } from '../sync/peers.js';
import { SyncScheduler } from '../sync/scheduler.js';
import type { SyncContext } from '../sync/round.js';
import { loadSiteKey, SITE_KEY_FILE, sitePublicKeyLine } from '../store/siteKey.js';
import { killRunningGroups } from '../git/run.js';
import { IdleRelease, MAIN_IDLE_RELEASE_MS } from './heapRelease.js';
import { Maintenance } from './maintenance.js';
import { hookOwnerCheck, openEvents } from './events/routes.js';
import { loadQuotas, Quotas } from './quotas.js';
import { checkTools, dataProblem, listen, lockData, prepareDataFolder, readTls, removeMade } from './startup.js';

/** The embedded defaults (SPEC 9): data in ./data, 127.0.0.1:8080. */
export const defaults: ServerOptions = {
  data: './data',
  host: '127.0.0.1',
  port: 8080,
  maxPushBytes: DEFAULT_MAX_PUSH_BYTES,
  maxRequestBytes: 16 * 1024 * 1024,
  headersTimeoutMs: 15_000,
  idleTimeoutMs: 60_000,
  validationBudgetMs: 10_000,
  validateContent: true,
  judgeAhead: process.env['CCR_JUDGE_AHEAD'] !== '0',
  landAhead: process.env['CCR_LAND_AHEAD'] !== '0',
  syncTimeoutMs: DEFAULT_SYNC_TIMEOUT_MS,
  maintenancePauseMs: 10_000,
  validatorThreads: 2,
  readerThreads: 2,
  readBudgetMs: 10_000,
  readerCacheBytes: 32 * 1024 * 1024,
  shutdownGraceMs: 30_000,
  memoryReleaseMs: MAIN_IDLE_RELEASE_MS,
};

/** A server that runs. */
export interface RunningServer {
  url: string;
  port: number;
  context: ServerContext;
  /** Stop accepting, let requests in flight finish (up to the grace time), release the data folder. */
  close(): Promise<void>;
}

/** A file of the data folder that cannot be read, as a CannotStart. */
function unreadable(file: string, e: unknown, hint: string): CannotStart {
  return new CannotStart(`${file} cannot be used: ${(e as Error).message}`, { hint });
}

/**
 * Start a server with the given options over the defaults. Everything that can fail is checked
 * before anything is created: tools and files first, then the data folder and its lock, then the
 * port; only then the admin principal. A failure undoes every step taken and throws CannotStart.
 */
export async function startServer(given: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options: ServerOptions = { ...defaults, ...given };
  const log = logger(options.logFormat ?? 'json', options.logStream, options.quiet);
  await checkTools();
  const tls = options.tlsCert && options.tlsKey ? await readTls(options.tlsCert, options.tlsKey) : null;
  const folder = await prepareDataFolder(options.data);
  const data = folder.path;
  const undo: Array<() => Promise<unknown>> = [() => removeMade(folder)];
  try {
    const unlock = await lockData(data);
    undo.push(unlock);
    const sites = await loadSites(data).catch((e: unknown) => {
      throw unreadable(
        `${data}/sites.json`,
        e,
        'fix it (README: Sync between sites; ccr doctor checks it), or move it away to serve without peers',
      );
    });
    const quotas = new Quotas(
      await loadQuotas(data).catch((e: unknown) => {
        throw unreadable(
          `${data}/quotas.json`,
          e,
          'fix it (README: Quotas), or move it away to use the default limits',
        );
      }),
    );

    // The port, before anything is written: requests that arrive before the server is ready wait for it.
    const inflight = new Set<ServerResponse>();
    const handling = new Set<Promise<void>>();
    const waiting: Array<[IncomingMessage, ServerResponse]> = [];
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
    const front = (req: IncomingMessage, res: ServerResponse) =>
      handler ? handler(req, res) : waiting.push([req, res]);
    let server: Server;
    try {
      server = tls ? createHttpsServer(tls, front) : createHttpServer(front);
    } catch (e) {
      throw new CannotStart(`the TLS certificate or key cannot be used: ${(e as Error).message}`, {
        hint: 'give --tls-cert a PEM certificate and --tls-key its matching PEM private key',
      });
    }
    server.headersTimeout = options.headersTimeoutMs;
    server.requestTimeout = 0; // pushes may be long; idleness is what is bounded
    server.keepAliveTimeout = 5_000;
    server.timeout = options.idleTimeoutMs;
    server.maxHeadersCount = 100;
    server.on('timeout', (socket) => socket.destroy());
    server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    });
    await listen(server, options.host, options.port);
    undo.push(() => {
      for (const [, res] of waiting.splice(0)) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    if (folder.made) log('info', 'data-folder-created', { data });
    // Made once the port is ours, like every other file of the data folder.
    const siteKey = await loadSiteKey(data).catch((e: unknown) => {
      throw unreadable(
        `${data}/${SITE_KEY_FILE}`,
        e,
        'the site signing key must be an unencrypted Ed25519 OpenSSH key of mode 600; move it away to make a new one (peers must then register the new public key)',
      );
    });
    if (siteKey.made)
      log('info', 'site-key-created', { file: `${data}/${SITE_KEY_FILE}`, public_key: sitePublicKeyLine(siteKey.key) });

    // The hook git runs is a copy in the data folder: nothing done to the project's files (a
    // rebuild, a removed dist/) can take it from a running server (git/hooks.ts).
    const hook = await installHook(data).catch((e: unknown) => {
      throw new CannotStart((e as Error).message, {
        hint: 'keep the data folder on a file system that lets programs run (not mounted noexec), owned by the user the server runs as',
      });
    });
    const gitEnv = await installGitConfig(`${data}/gitconfig`, {
      hooksPath: hook.dir,
      maxInputBytes: options.maxPushBytes,
    });
    const opened = await openServerIdentity({ data, log, oidc: options.oidc });
    let closeIdentity = () => opened.identity.close();
    undo.push(() => closeIdentity());
    // The first start makes the `admin` principal; so does any start that finds no admin at all
    // (principals added offline first), so a data folder can always be managed.
    const accessLog = new AccessLog(`${data}/access.log`);
    await accessLog.open();
    undo.push(() => accessLog.close());
    if ((await opened.identity.store.count('admin')) === 0) {
      const token = options.adminToken ?? newToken();
      const hash = opened.identity.hasher.hash(token);
      await opened.identity.store.createPrincipal({ name: 'admin', kind: 'admin' }, { hash }, { actor: 'server' });
      log(
        'warn',
        'admin-created',
        options.adminToken
          ? { name: 'admin', token: '(from CCR_ADMIN_TOKEN)' }
          : { name: 'admin', token, note: 'shown once; keep it safe' },
      );
    }
    const metrics = new Metrics();
    const hooks = new HookEndpoint((push, call) => judgeHook(ctx, push, call), log);
    const records = new RecordStore(`${data}/coordination`, (record, removed) =>
      log('warn', 'crash-leftovers-removed', { record, removed }),
    );
    const participants = new ParticipantIndex();
    const identity = opened.attach(records, participants, accessLog);
    closeIdentity = () => identity.close();
    const events = openEvents(
      data,
      records,
      log,
      options.webhooks ?? {},
      hookOwnerCheck((name) => identity.store.principal(name)),
    );
    undo.push(() => events.close());
    const ctx: ServerContext = {
      options: { ...options, data },
      baseUrl: '',
      identity,
      sites,
      quotas,
      records,
      participants,
      views: new ServerViews(data),
      idempotency: new Idempotency(identity.idempotency),
      events,
      gitEnv,
      siteKey: siteKey.key,
      accessLog,
      metrics,
      log,
      mainMoved: [],
      hooks,
      advertisements: new Advertisements(),
      validator: new ValidatorPool(options.validatorThreads, options.validationBudgetMs, log),
      reader: new Reader({
        threads: options.readerThreads,
        budgetMs: options.readBudgetMs,
        cacheBytes: options.readerCacheBytes,
        log,
      }),
    };
    undo.push(() => ctx.validator.close());
    undo.push(() => ctx.reader.close());
    await hooks.listen();
    undo.push(() => hooks.stop());
    const maintenance = new Maintenance((id) => ctx.records.path(id), gitEnv, log, options.maintenancePauseMs);
    ctx.mainMoved.push((id) => maintenance.touched(id));
    // A push's move is indexed and recorded once it is derived (it always settles), from what was
    // derived; not once the server's requests are done and it closes its parts (the index and the
    // feed catch up at the next start).
    let shuttingDown = false;
    const once = (derived: Promise<MainAfter | undefined> | undefined, fn: (known?: MainAfter) => void) =>
      derived
        ? void derived
            .then((known) => shuttingDown || fn(known))
            .catch((e: unknown) => log('error', 'main-moved-failed', { error: e }))
        : fn();
    ctx.mainMoved.push((id, derived) =>
      once(derived, (known) => {
        if (known) participants.moved(id, known.old, known.head, known.ledgers);
        identity.indexer.moved(id);
      }),
    );
    // Only the events are held until recorded (not the ledgers: KNOWN_EVENTS_BYTES counts events).
    ctx.mainMoved.push((id, derived) =>
      once(derived, (known) => events.moved(id, known && { old: known.old, head: known.head, events: known.events })),
    );
    await identity.audited();
    undo.push(async () => maintenance.stop());
    if (sites.peers.length > 0) {
      const round: SyncContext = {
        gitEnv,
        timeoutMs: options.syncTimeoutMs,
        maxFetchBytes: options.maxPushBytes,
        judge: (input) => ctx.validator.judgeIncoming(input),
        signer: siteKey.key.signer,
      };
      const scheduler = new SyncScheduler(sites, round, ctx.records, log, metrics, 2, (id) => {
        identity.indexer.moved(id);
        events.moved(id);
      });
      ctx.sync = scheduler;
      ctx.mainMoved.push((id) => scheduler.pushed(id));
      scheduler.start();
      undo.push(() => scheduler.stop());
    }

    const port = (server.address() as AddressInfo).port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = options.publicUrl ?? `${tls ? 'https' : 'http'}://${host}:${port}`;
    ctx.baseUrl = url.replace(/\/$/, '');
    const idle = options.memoryReleaseMs > 0 ? new IdleRelease(log, options.memoryReleaseMs) : null;
    undo.push(async () => idle?.stop());
    handler = createHandler(ctx, inflight, handling, idle);
    for (const [req, res] of waiting.splice(0)) handler(req, res);
    log('info', 'listening', {
      url: ctx.baseUrl,
      data,
      version,
      hookPort: ctx.hooks.port,
      hook: hook.kind,
      validation: options.validateContent ? 'on' : 'refs-only',
      signedCommits: options.requireSignedCommits === true ? 'required' : 'checked',
      peers: sites.peers.map((p) => p.name),
    });

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        log('info', 'shutting-down', { inflight: inflight.size });
        idle?.stop();
        const deadline = performance.now() + options.shutdownGraceMs;
        const graceLeft = () =>
          new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - performance.now())).unref());
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = graceLeft();
        await Promise.race([stopped, grace]);
        server.closeAllConnections();
        // Rounds in flight end now, their git children (a fetch from a hanging peer) killed.
        maintenance.stop();
        const stopping = ctx.sync?.stop();
        killRunningGroups();
        await stopping;
        // Requests answered but not done (a landed push's log entry, its receipt, its mainMoved
        // hooks) end before what they write to is closed, in what is left of the grace.
        await Promise.race([Promise.all(handling), graceLeft()]);
        if (handling.size > 0) log('warn', 'requests-abandoned', { requests: handling.size });
        shuttingDown = true;
        await ctx.hooks.stop();
        await ctx.validator.close();
        await ctx.reader.close();
        await events.close();
        await identity.close();
        await accessLog.close();
        await unlock();
        log('info', 'stopped');
      })());
    return { url: ctx.baseUrl, port, context: ctx, close };
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    if (isCcrError(e)) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code && err.syscall) throw dataProblem(err, options.data, 'write to');
    throw new CannotStart(`the server could not start: ${err.message}`, {
      hint: `check the data folder with ccr doctor --data ${options.data}`,
    });
  }
}
