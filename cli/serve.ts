// `ccr serve`: run the server until SIGTERM or SIGINT, then shut down cleanly.

import { defaults, startServer } from '../server/index.js';
import { dataDir, str, UsageError, type Command } from './args.js';

export const serve: Command = {
  help: `ccr serve [--data DIR] [--host HOST] [--port PORT] [--tls-cert FILE --tls-key FILE] [--public-url URL]

Serve the records of a data folder over git smart HTTP and the JSON API.
Defaults: --data ./data (or CCR_DATA), --host 127.0.0.1, --port 8080 (or CCR_PORT).
On first start an \`admin\` principal is created; its token is printed once
(or taken from CCR_ADMIN_TOKEN).

Example:
  ccr serve --data /srv/ccr --port 8443 --tls-cert cert.pem --tls-key key.pem`,
  options: {
    data: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'public-url': { type: 'string' },
  },
  async run(v) {
    const port = Number(str(v['port']) ?? process.env['CCR_PORT'] ?? defaults.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
    if (Boolean(v['tls-cert']) !== Boolean(v['tls-key'])) throw new UsageError('--tls-cert and --tls-key go together');
    const server = await startServer({
      data: dataDir(v['data']), host: str(v['host']) ?? defaults.host, port,
      ...(str(v['tls-cert']) ? { tlsCert: str(v['tls-cert'])!, tlsKey: str(v['tls-key'])! } : {}),
      ...(str(v['public-url']) ? { publicUrl: str(v['public-url'])! } : {}),
      ...(process.env['CCR_ADMIN_TOKEN'] ? { adminToken: process.env['CCR_ADMIN_TOKEN'] } : {}),
    });
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    return 0;
  },
};
