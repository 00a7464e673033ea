// Benchmark: events and webhooks (issue 16), on one server in one run. A one-message push and its
// event delivered to a loopback webhook (median from the push's start to the receiver's answer;
// target ≤ 1 s), against the push alone; then a record of 1,000 events in the feed, read in pages
// of 100: the last page against the first (flat latency: ratio ≈ 1), for an admin (the whole
// feed) and for a participant (its view's events).
// Usage: node dist/bench/events.js [samples] [events]

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoordinationService } from '../index.js';
import { apiRecord, author, benchServer, body, fillThread, gitCli, jane, place, TOKEN } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 20);
const count = Number(process.argv[3] ?? 1000);
const dir = scratch('events');

// The receiver: answers 204 at once and tells who waits for a message id.
const waiting = new Map<string, () => void>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(204).end();
    const event = JSON.parse(Buffer.concat(chunks).toString()) as { message?: string };
    if (event.message) waiting.get(event.message)?.();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const host = `127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const server = await benchServer(`${dir}/data`, { validatorThreads: 2, webhooks: { allow: [host] } });
const auth = (name: string, token: string) => ({
  Authorization: `Basic ${Buffer.from(`${name}:${token}`).toString('base64')}`,
});
const post = (path: string, payload: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...auth('admin', TOKEN) },
    body: JSON.stringify(payload),
  }).then((r) => r.json() as Promise<Record<string, unknown>>);
await post('/api/webhooks', {
  url: `http://${host}/hook`,
  secret: 'bench-secret-0123456789abcdef',
  records: 'all',
  kinds: ['message.added'],
});

const rec = await apiRecord(server);
const adminDir = `${dir}/admin`;
await gitCli('/', ['clone', '-q', rec.url, adminDir]);
const svc = await CoordinationService.at(adminDir);
const pushes: number[] = [];
const deliveries: number[] = [];
for (let i = 0; i < n + 2; i++) {
  const id = await svc.addMessage(author, place, rec.thread, {
    author: { id: jane.participant_id, name: jane.display_name },
    body: `${body} (${i})`,
  });
  const delivered = new Promise<void>((resolve) => waiting.set(id, resolve));
  const started = performance.now();
  await gitCli(adminDir, ['push', '-q', 'origin', 'main']);
  const pushed = performance.now() - started;
  await delivered;
  const total = performance.now() - started;
  if (i >= 2) {
    pushes.push(pushed);
    deliveries.push(total);
  }
}
report('one-message push (git, answered)', median(pushes));
report('push → event delivered to a loopback webhook (median)', median(deliveries), 'ms', {
  name: 'push',
  value: median(pushes),
});

// 1,000 events of one record in the feed (one push of 1,000 messages), read in pages of 100.
const before = (server.context.events.feed.db.prepare('SELECT max(seq) AS m FROM events').get() as { m: number }).m;
const big = await apiRecord(server);
await fillThread(big.url, `${dir}/big`, big.thread, count);
await server.context.events.feed.idle();
const after = (server.context.events.feed.db.prepare('SELECT max(seq) AS m FROM events').get() as { m: number }).m;
const janeToken = (await post('/api/principals', { name: 'jane', kind: 'participant', ...jane })).token as string;
const page = (who: Record<string, string>, from: number) =>
  time(async () => {
    const r = await fetch(`${server.url}/api/events?after=${from}&limit=100`, { headers: who });
    const b = (await r.json()) as { events: unknown[] };
    if (b.events.length !== 100) throw new Error(`expected a full page, found ${b.events.length}`);
  });
for (const [who, headers] of [
  ['admin', auth('admin', TOKEN)],
  ['participant', auth('jane', janeToken)],
] as const) {
  // A participant's cursors are the feed's: its first and last pages of this record start at the same places.
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < n * 3 + 4; i++) {
    const a = await page(headers, before);
    const z = await page(headers, after - 100);
    if (i >= 4) [first, last].forEach((xs, k) => xs.push(k ? z : a));
  }
  report(`feed page of 100, first of ${after - before} events (${who})`, median(first));
  report(`feed page of 100, last of ${after - before} events (${who})`, median(last), 'ms', {
    name: 'first page',
    value: median(first),
  });
}
await server.close();
receiver.close();
