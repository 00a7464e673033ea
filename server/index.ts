// Starting and stopping a CCR server: data folder and its lock, git configuration, principals
// (the bootstrap admin on first start), the hook endpoint, validator threads, the HTTP(S)
// listener with its timeouts, and a shutdown that lets requests in flight finish.

import { constants as fsConstants, promises as fs } from 'node:fs';
import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Unavailable } from '../core/errors.js';
import { ParticipantIndex } from './access.js';
import { AccessLog } from './accessLog.js';
import { createHandler } from './app.js';
import type { ServerContext, ServerOptions } from './context.js';
import { installGitConfig } from './gitConfig.js';
import { judgeHook } from './gitRoute.js';
import { HookEndpoint } from './hookEndpoint.js';
import { jsonLogger } from './log.js';
import { Metrics } from './metrics.js';
import { PrincipalStore } from './principals.js';
import { Reader } from './reader.js';
import { RecordStore } from './records.js';
import { ValidatorPool } from './validatorPool.js';
import { loadSites } from '../sync/peers.js';
import { SyncScheduler } from '../sync/scheduler.js';

/** The project's hooks folder (core.hooksPath of every record). */
export const HOOKS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hooks');

/** The embedded defaults (SPEC 9): data in ./data, 127.0.0.1:8080. */
export const defaults: ServerOptions = {
  data: './data', host: '127.0.0.1', port: 8080,
  maxPushBytes: 256 * 1024 * 1024, maxRequestBytes: 16 * 1024 * 1024,
  headersTimeoutMs: 15_000, idleTimeoutMs: 60_000, validationBudgetMs: 10_000, validateContent: true, syncTimeoutMs: 30_000,
  validatorThreads: 2, readerThreads: 2, readBudgetMs: 10_000, readerCacheBytes: 32 * 1024 * 1024, shutdownGraceMs: 30_000,
};

/** A server that runs. */
export interface RunningServer {
  url: string;
  port: number;
  context: ServerContext;
  /** Stop accepting, let requests in flight finish (up to the grace time), release the data folder. */
  close(): Promise<void>;
}

/** Hold `<data>/server.lock` so two servers never share a data folder. */
async function lockData(data: string): Promise<() => Promise<void>> {
  const path = `${data}/server.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(path, String(process.pid), { flag: 'wx' });
      return () => fs.rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(await fs.readFile(path, 'utf8').catch(() => 'x'));
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && (process.kill(pid, 0), true);
      } catch (k) {
        alive = (k as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive && pid !== process.pid) throw new Unavailable(`another CCR server (pid ${pid}) is using ${data}`);
      await fs.rm(path, { force: true });
    }
  }
  throw new Unavailable(`cannot lock ${data}`);
}

/** Start a server with the given options over the defaults. */
export async function startServer(given: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options: ServerOptions = { ...defaults, ...given };
  const log = jsonLogger(options.logStream, options.quiet);
  await fs.mkdir(`${options.data}/coordination`, { recursive: true });
  const data = await fs.realpath(options.data);
  const unlock = await lockData(data);
  try {
    // git skips a missing or non-executable hook without a word: every push would go unjudged.
    await fs.access(`${HOOKS_DIR}/pre-receive`, fsConstants.X_OK).catch(() => {
      throw new Error(`the pre-receive hook ${HOOKS_DIR}/pre-receive is missing or not executable; refusing to serve pushes unjudged`);
    });
    const gitEnv = await installGitConfig(`${data}/gitconfig`, { hooksPath: HOOKS_DIR, maxInputBytes: options.maxPushBytes });
    const principals = new PrincipalStore(`${data}/principals.json`, log);
    // The first start makes the `admin` principal; so does any start that finds no admin at all
    // (principals added offline first), so a data folder can always be managed.
    if (!(await principals.list()).some((p) => p.kind === 'admin')) {
      const created = await principals.add({ name: 'admin', kind: 'admin' }, options.adminToken);
      log('warn', 'admin-created', options.adminToken ? { name: 'admin', token: '(from CCR_ADMIN_TOKEN)' } : { name: 'admin', token: created.token, note: 'shown once; keep it safe' });
    }
    const accessLog = new AccessLog(`${data}/access.log`);
    await accessLog.open();
    const metrics = new Metrics();
    const hooks = new HookEndpoint((push, call) => judgeHook(ctx, push, call), log);
    const ctx: ServerContext = {
      options: { ...options, data }, baseUrl: '', principals,
      records: new RecordStore(`${data}/coordination`, (record, removed) => log('warn', 'crash-leftovers-removed', { record, removed })),
      participants: new ParticipantIndex(), gitEnv, accessLog, metrics, log, mainMoved: [], hooks,
      validator: new ValidatorPool(options.validatorThreads, options.validationBudgetMs, log),
      reader: new Reader({ threads: options.readerThreads, budgetMs: options.readBudgetMs, cacheBytes: options.readerCacheBytes, log }),
    };
    await hooks.listen();
    const sites = await loadSites(data);
    if (sites.peers.length > 0) {
      const scheduler = new SyncScheduler(sites, { gitEnv, timeoutMs: options.syncTimeoutMs }, ctx.records, log, metrics);
      ctx.sync = scheduler;
      ctx.mainMoved.push((id) => scheduler.pushed(id));
      scheduler.start();
    }

    const inflight = new Set<ServerResponse>();
    const handler = createHandler(ctx, inflight);
    const tls = options.tlsCert && options.tlsKey ? { cert: await fs.readFile(options.tlsCert), key: await fs.readFile(options.tlsKey) } : null;
    const server: Server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
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
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = options.publicUrl ?? `${tls ? 'https' : 'http'}://${host}:${port}`;
    ctx.baseUrl = url.replace(/\/$/, '');
    log('info', 'listening', { url: ctx.baseUrl, data, hookPort: ctx.hooks.port, validation: options.validateContent ? 'on' : 'refs-only', peers: sites.peers.map((p) => p.name) });

    let closing: Promise<void> | null = null;
    const close = () => (closing ??= (async () => {
      log('info', 'shutting-down', { inflight: inflight.size });
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, options.shutdownGraceMs).unref());
      await Promise.race([stopped, grace]);
      server.closeAllConnections();
      await ctx.sync?.stop();
      await ctx.hooks.stop();
      await ctx.validator.close();
      await ctx.reader.close();
      await accessLog.close();
      await unlock();
      log('info', 'stopped');
    })());
    return { url: ctx.baseUrl, port, context: ctx, close };
  } catch (e) {
    await unlock();
    throw e;
  }
}
