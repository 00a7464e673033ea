// `ccr serve`: run the server until SIGTERM or SIGINT, then shut down cleanly. A start that fails
// says why in one line and what to do in another, and the process exits at once with status 1.

import { hintOf } from '../core/errors.js';
import { logger, type LogFormat } from '../server/log.js';
import { defaults, startServer } from '../server/index.js';
import { oidcConfig, type OidcConfig } from '../server/identity/oidc.js';
import { parseAllowList } from '../server/events/webhooks.js';
import { dataDir, str, UsageError, type Command } from './args.js';

/** The log format: --log-format, CCR_LOG_FORMAT, or text for a terminal and JSON lines otherwise. */
function logFormat(v: unknown): LogFormat {
  const given = str(v) ?? process.env['CCR_LOG_FORMAT'];
  if (given === undefined || given === '') return process.stdout.isTTY ? 'text' : 'json';
  if (given !== 'json' && given !== 'text')
    throw new UsageError(
      `expected --log-format (or CCR_LOG_FORMAT) to be json or text, found ${JSON.stringify(given)}`,
    );
  return given;
}

/**
 * The first retry wait of webhook deliveries from CCR_WEBHOOK_RETRY_MS (tests and drills that
 * cannot wait seconds); the embedded default otherwise.
 */
function retryFromEnv(): { firstRetryMs?: number } {
  const ms = Number(process.env['CCR_WEBHOOK_RETRY_MS']);
  return Number.isInteger(ms) && ms >= 10 ? { firstRetryMs: ms } : {};
}

export const serve: Command = {
  help: `ccr serve [--data DIR] [--host HOST] [--port PORT] [--tls-cert FILE --tls-key FILE] [--public-url URL]
          [--log-format json|text] [--oidc-issuer URL --oidc-audience AUD [--oidc-principal-claim CLAIM]
          [--oidc-participant-claim CLAIM] [--oidc-create-participants] [--oidc-kinds KINDS]]
          [--require-signed-commits] [--webhook-allow HOST[:PORT],...]

Serve the records of a data folder over git smart HTTP and the JSON API.
Defaults: --data ./data (or CCR_DATA), --host 127.0.0.1, --port 8080 (or CCR_PORT).
On first start an \`admin\` principal is created; its token is printed once
(or taken from CCR_ADMIN_TOKEN).
The log is one event per line on stdout: readable text when stdout is a terminal, one JSON
object per line otherwise (--log-format or CCR_LOG_FORMAT to choose).
Single sign-on: with --oidc-issuer and --oidc-audience (or CCR_OIDC_ISSUER, CCR_OIDC_AUDIENCE) a JWT
of that OpenID Connect issuer is taken as Authorization: Bearer, or as the Basic password (git).
Its \`sub\` (or --oidc-principal-claim) names the principal, or its participant_id claim a participant
principal; --oidc-create-participants (CCR_OIDC_CREATE_PARTICIPANTS=1) creates a participant
principal from the token's participant_id, role and name claims when none exists (not one an admin
removed: an admin creates that again). Sign-on reaches participant principals only unless
--oidc-kinds (CCR_OIDC_KINDS) lists others, e.g. participant,admin.
--require-signed-commits (CCR_REQUIRE_SIGNED_COMMITS=1): every pushed commit must carry a valid SSH
signature by a key registered to the pusher (POST /api/principals/<name>/keys); refused with
ccr/commit-signature otherwise. Without it, a signature present that is bad is still refused.
--webhook-allow (CCR_WEBHOOK_ALLOW): the hosts webhooks may be registered to, HOST or HOST:PORT
(a bare HOST: the scheme's default port), comma-separated; none without it.
A start that fails (port in use, data folder not writable, another server on it, no git) exits
with status 1 and says what to do; \`ccr doctor\` checks a data folder and its machine.

Example:
  ccr serve --data /srv/ccr --port 8443 --tls-cert cert.pem --tls-key key.pem`,
  options: {
    data: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'public-url': { type: 'string' },
    'log-format': { type: 'string' },
    'oidc-issuer': { type: 'string' },
    'oidc-audience': { type: 'string' },
    'oidc-principal-claim': { type: 'string' },
    'oidc-participant-claim': { type: 'string' },
    'oidc-create-participants': { type: 'boolean' },
    'require-signed-commits': { type: 'boolean' },
    'oidc-kinds': { type: 'string' },
    'webhook-allow': { type: 'string' },
  },
  async run(v) {
    const portText = str(v['port']) ?? process.env['CCR_PORT'] ?? String(defaults.port);
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 0 && port <= 65535))
      throw new UsageError(
        `expected --port (or CCR_PORT) to be a port number from 0 to 65535, found ${JSON.stringify(portText)}`,
      );
    if (Boolean(v['tls-cert']) !== Boolean(v['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
    const host = str(v['host']) ?? defaults.host;
    if (host === '') throw new UsageError('expected --host to be an address or a name of this machine, found ""');
    const publicUrl = str(v['public-url']);
    if (publicUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(publicUrl))
      throw new UsageError(`expected --public-url to be an http(s) URL, found ${JSON.stringify(publicUrl)}`);
    const format = logFormat(v['log-format']);
    const data = dataDir(v['data']);
    let oidc: OidcConfig | null;
    try {
      oidc = oidcConfig(v as Record<string, string | boolean | undefined>);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let webhookAllow: string[];
    try {
      webhookAllow = parseAllowList(str(v['webhook-allow']) ?? process.env['CCR_WEBHOOK_ALLOW']);
    } catch (e) {
      throw new UsageError(`--webhook-allow (or CCR_WEBHOOK_ALLOW): ${(e as Error).message}`);
    }
    // Listened for before the server starts: it says it serves before startServer returns, and a
    // SIGTERM in between would otherwise end the process without its clean shutdown.
    let signalled = false;
    let wake: (() => void) | undefined;
    const onSignal = () => {
      signalled = true;
      wake?.();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    const unlisten = () => {
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    };
    const server = await startServer({
      data,
      host,
      port,
      logFormat: format,
      ...(str(v['tls-cert']) ? { tlsCert: str(v['tls-cert'])!, tlsKey: str(v['tls-key'])! } : {}),
      ...(publicUrl ? { publicUrl } : {}),
      ...(oidc ? { oidc } : {}),
      ...(v['require-signed-commits'] === true || process.env['CCR_REQUIRE_SIGNED_COMMITS'] === '1'
        ? { requireSignedCommits: true }
        : {}),
      ...(process.env['CCR_ADMIN_TOKEN'] ? { adminToken: process.env['CCR_ADMIN_TOKEN'] } : {}),
      webhooks: { allow: webhookAllow, ...retryFromEnv() },
    }).catch((e: unknown) => {
      // Machines reading the JSON log see the failure there too; a person reads it on stderr.
      if (format === 'json')
        logger('json')('error', 'start-failed', {
          message: (e as Error).message,
          ...(hintOf(e) ? { hint: hintOf(e) } : {}),
        });
      unlisten();
      throw e;
    });
    if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
    await server.close();
    unlisten();
    return 0;
  },
};
