// HTTP plumbing shared by the routes: JSON in and out, errors as JSON with their status, Basic
// credentials, and how a refusal leaves a connection. The URL shapes are the routes' (server/routes/).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CcrError, InvalidInput, PayloadTooLarge, RuleViolation, UnsupportedMediaType } from '../core/errors.js';

/** Send a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** What the JSON error body of SPEC 9 holds; `findings` for a RuleViolation. */
export interface ErrorFields {
  code: string;
  message: string;
  request?: string;
  findings?: { rule: string; message: string; path?: string }[];
}

/** The JSON error body of SPEC 9 and its status. */
export function errorBody(e: unknown, requestId: string): { status: number; body: { error: ErrorFields } } {
  if (e instanceof RuleViolation) {
    // The rule ids and reasons, as a push shows them (SPEC 8), for a program to branch on.
    const findings = e.findings.map((f) => ({
      rule: f.rule,
      message: f.message,
      ...(f.path !== undefined ? { path: f.path } : {}),
    }));
    return { status: e.status, body: { error: { code: e.code, message: e.message, findings } } };
  }
  if (e instanceof CcrError) {
    const message = e.status >= 500 ? `internal error (request ${requestId})` : e.message;
    return {
      status: e.status,
      body: { error: { code: e.code, message, ...(e.status >= 500 ? { request: requestId } : {}) } },
    };
  }
  // A full disk is the operator's to fix, not a bug: say so (writes leave nothing half done).
  if (['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException | null)?.code ?? '')) {
    return {
      status: 507,
      body: {
        error: {
          code: 'InsufficientStorage',
          message: `the server is out of disk space; nothing was written (request ${requestId})`,
          request: requestId,
        },
      },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'Internal', message: `internal error (request ${requestId})`, request: requestId } },
  };
}

/** Read a JSON request body of at most `max` bytes. */
export async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type)) throw new UnsupportedMediaType('expected Content-Type: application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new PayloadTooLarge(`the request body is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (nesting(text) > MAX_JSON_DEPTH)
    throw new InvalidInput(`expected a JSON body nested at most ${MAX_JSON_DEPTH} levels deep`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInput('expected a JSON body');
  }
}

/** No request of the API nests deeper; deeper JSON would overflow the stack of whatever walks it. */
const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it. */
function nesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Name and token of an `Authorization: Basic` header, or null for anything else. */
export function basicCredentials(header: string | undefined): { name: string; token: string } | null {
  if (!header) return null;
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1 || decoded.length > 1024) return null;
  return { name: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

/**
 * Answering before the request body was read: close the connection after the answer, and read
 * (and drop) what the client is still sending for a moment, so the answer is not lost to a
 * reset; a client that keeps sending is cut off.
 */
export function lingerOnRefusal(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.setHeader('Connection', 'close');
  req.resume();
  const cut = setTimeout(() => req.socket?.destroy(), 2000); // the socket may be gone already
  cut.unref();
  req.once('end', () => clearTimeout(cut));
}
