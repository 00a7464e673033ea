// A real CCR server on 127.0.0.1 for tests: an ephemeral port, a temporary data folder, known
// principals, and helpers for its JSON API and for git URLs with credentials.

import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import type { Test } from 'tap';
import type { ServerOptions } from '../../server/context.js';
import { startServer, type RunningServer } from '../../server/index.js';
import { clinicalId, jane, john, place, tom } from './people.js';
import { tempDir } from './tmp.js';

export const ADMIN_TOKEN = 'ccr_test-admin-token-0123456789abcdefghijklmnopqrs';

/** A principal with its token. */
export interface Creds {
  name: string;
  token: string;
}

/** A test server with its principals by name. */
export interface TestServer {
  server: RunningServer;
  url: string;
  data: string;
  /** Structured log lines written so far. */
  logs: string[];
  admin: Creds;
  /** Create a principal through the API and give its credentials. */
  principal(body: Record<string, unknown>): Promise<Creds>;
  /** Call the JSON API. */
  api(method: string, path: string, creds: Creds | null, body?: unknown): Promise<{ status: number; body: any }>;
  /** A git URL for a record with credentials in it. */
  gitUrl(record: string, creds: Creds | null): string;
  /** Create a record (with an optional thread) as the admin; gives its id and thread id. */
  record(thread?: { participants: unknown[]; message?: unknown }): Promise<{ id: string; thread?: string }>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A request to a server at `base` with credentials, a JSON (or raw) body and extra headers. */
export function call(
  base: string,
  method: string,
  path: string,
  creds: Creds | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        headers: {
          ...(creds
            ? { Authorization: `Basic ${Buffer.from(`${creds.name}:${creds.token}`).toString('base64')}` }
            : {}),
          ...(text !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString();
          let parsed: unknown = raw;
          try {
            parsed = raw ? JSON.parse(raw) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Start a server for the test; it stops when the test ends. */
export async function testServer(t: Test, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const data = tempDir(t, 'ccr-server-');
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  const server = await startServer({
    data,
    port: 0,
    adminToken: ADMIN_TOKEN,
    logStream,
    validatorThreads: 1,
    shutdownGraceMs: 2000,
    // Many servers share a test process's heap: its compaction is tested on its own (heapRelease).
    memoryReleaseMs: 0,
    ...options,
  });
  t.teardown(() => server.close());
  const admin = { name: 'admin', token: ADMIN_TOKEN };
  const api: TestServer['api'] = (method, path, creds, body) => call(server.url, method, path, creds, body);
  const ts: TestServer = {
    server,
    url: server.url,
    data: server.context.options.data,
    logs,
    admin,
    api,
    async principal(body) {
      const r = await api('POST', '/api/principals', admin, body);
      if (r.status !== 201) throw new Error(`principal: ${r.status} ${JSON.stringify(r.body)}`);
      return { name: r.body.name as string, token: r.body.token as string };
    },
    gitUrl(record, creds) {
      const u = new URL(`${server.url}/coordination/${record}.git`);
      if (creds) {
        u.username = creds.name;
        u.password = creds.token;
      }
      return u.toString();
    },
    async record(thread) {
      const r = await api('POST', '/api/records', admin, {
        clinical_id: clinicalId,
        care_location: place,
        ...(thread ? { thread } : {}),
      });
      if (r.status !== 201) throw new Error(`record: ${r.status} ${JSON.stringify(r.body)}`);
      return {
        id: r.body.coordination_id as string,
        ...(r.body.thread_id ? { thread: r.body.thread_id as string } : {}),
      };
    },
  };
  return ts;
}

/** Participant principals for the cast of the tests (jane, tom, john). */
export async function castPrincipals(s: TestServer): Promise<{ jane: Creds; tom: Creds; john: Creds }> {
  const make = (p: typeof jane, name: string) =>
    s.principal({
      name,
      kind: 'participant',
      participant_id: p.participant_id,
      role: p.role,
      display_name: p.display_name,
    });
  return { jane: await make(jane, 'jane'), tom: await make(tom, 'tom'), john: await make(john, 'john') };
}

/** Pushes by what became of their judgement ahead (server/prejudge.ts), from the server's metrics. */
export async function judgedAhead(s: TestServer): Promise<Record<string, number>> {
  const got = await s.server.context.metrics.judgedAhead.get();
  return Object.fromEntries(got.values.map((v) => [String(v.labels.outcome), v.value]));
}
