// One HTTP(S) GET to a CCR server, for `ccr login` (are these credentials right?) and `ccr doctor`
// (is this peer reachable, does it take our credentials?). Gives the status or the network error.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a GET gave: the HTTP status, or the error code of a request that got no answer. */
export type Probe = { status: number } | { error: string; message: string };

/** GET `url`, with Basic credentials and a CA certificate when given; gives up after `timeoutMs`. */
export function probe(
  url: string,
  o: { user?: string; token?: string; ca?: Buffer; timeoutMs?: number } = {},
): Promise<Probe> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ error: 'EINVAL', message: `not a URL: ${url}` });
    }
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> =
      o.user !== undefined && o.token !== undefined
        ? { Authorization: `Basic ${Buffer.from(`${o.user}:${o.token}`).toString('base64')}` }
        : {};
    const req = request(target, { headers, timeout: o.timeoutMs ?? 10_000, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? 'ERROR', message: e.message }));
    req.end();
  });
}
