// A loopback webhook receiver for tests: records every POST, checks its HMAC signature with the
// hook's secret, and answers as the test tells it (ok, fail with a status, or hang).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as received. */
export interface Received {
  delivery: string;
  event: string;
  body: string;
  json: any;
  /** True when X-CCR-Signature is the HMAC-SHA256 of the body with the secret. */
  signed: boolean;
  /** What the receiver answered (0: it hung). */
  answered: number;
}

/** A running receiver. */
export interface Receiver {
  port: number;
  /** `127.0.0.1:<port>` for the allow-list. */
  host: string;
  url: string;
  received: Received[];
  /** How the next requests are answered: a status, or 'hang'. */
  mode: number | 'hang';
  /** Resolves when a received request satisfies `pred` (rejects after `ms`). */
  waitFor(pred: (r: Received) => boolean, ms?: number): Promise<Received>;
  close(): Promise<void>;
}

/** Start a receiver; the test closes it. */
export async function startReceiver(t: { teardown(fn: () => unknown): void }, secret: string): Promise<Receiver> {
  const hung = new Set<ServerResponse>();
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-ccr-signature'] ?? ''));
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* kept as text */
      }
      const mode = r.mode;
      r.received.push({
        delivery: String(req.headers['x-ccr-delivery'] ?? ''),
        event: String(req.headers['x-ccr-event'] ?? ''),
        body,
        json,
        signed: given.length === expected.length && timingSafeEqual(given, expected),
        answered: mode === 'hang' ? 0 : mode,
      });
      for (const w of waiters.splice(0)) w();
      if (mode === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(mode, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const r: Receiver = {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/hook`,
    received: [],
    mode: 200,
    async waitFor(pred, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = r.received.find(pred);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching delivery within ${ms} ms (${r.received.length} received)`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  t.teardown(() => r.close());
  return r;
}

/** Poll `fn` until it gives a truthy value (rejects after `ms`). */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  ms = 20_000,
  what = 'the condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
