// The validator's door for hooks/pre-receive: a loopback-only HTTP listener on a port of its own.
// Each receive-pack the server starts gets a fresh random token in its environment; the token
// maps back to the authenticated principal, the record and the request. Without a live token the
// door answers 403, so knowing the port is not enough.

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordId } from '../core/ids.js';
import type { Oid } from '../core/objects.js';
import type { ServedView } from './views.js';
import type { PushVerdict } from './validator.js';
import type { Principal } from '../core/principal.js';
import type { Logger } from './log.js';
import { parseRefLine, type RefLine } from '../git/pushRequest.js';

/** One ref line of a push: `old new ref`. */
export type RefUpdate = RefLine;

/** What the server knows about a receive-pack in flight. */
export interface PushContext {
  requestId: string;
  principal: Principal;
  recordId: RecordId;
  gitdir: string;
  /** Settles when the push's receive-pack has exited (and what it did to `main` was read). */
  ended: Promise<void>;
  /**
   * True once the pusher's connection closed before its answer was sent (the pusher went away), or
   * once git has ended (the push is over: a judgement still running lands nothing).
   */
  left: () => boolean;
  /** The updates the validator accepted, for the side effects after the ref really moved. */
  accepted?: RefUpdate[];
  /** The updates of the last pre-receive call, accepted or not. */
  updates?: RefUpdate[];
  /** A push to a participant's view (SPEC 12): receive-pack runs there, the server moves `main`. */
  view?: ServedView;
  /** What a push from a view did to `main`, once it landed. */
  landed?: { old: Oid; new: Oid; view: Oid };
  /**
   * The push judged ahead from its request's pack (server/prejudge.ts): the ref lines it named,
   * its time, the identity store's last change when it began, and the verdict.
   */
  ahead?: { updates: RefUpdate[]; now: number; identity: number; verdict: Promise<PushVerdict | null> };
  /**
   * The hook's judgements (`done` settles when they have, never rejects; `running` until then):
   * a receive-pack stopped under one (its pusher gone, its hook killed) leaves it running, and the
   * push is not over until it is.
   */
  judging?: { running: boolean; done: Promise<void> };
  /** Gives back what the push was charged against its pusher's quota (it did not land after all). */
  quotaBack?: () => void;
  /** The signed receipt given with the accept answer (kept in the access log once `main` is its `new`). */
  receipt?: { new: string; lines: string[] };
}

/** What the hook sent: the quarantine variables and the ref lines. */
export interface HookCall {
  env: { GIT_QUARANTINE_PATH?: string; GIT_OBJECT_DIRECTORY?: string; GIT_ALTERNATE_OBJECT_DIRECTORIES?: string };
  updates: RefUpdate[];
}

/** The verdict sent back: accept, or refuse with lines for the pusher. */
export interface HookVerdict {
  accept: boolean;
  lines: string[];
}

const MAX_BODY = 1024 * 1024;

/** Parse the body hooks/pre-receive sends. Null when it is malformed. */
export function parseHookBody(body: string): HookCall | null {
  // The variables up to the first empty line, then every ref line git gave the hook (split with a
  // limit, a second empty line would have dropped the lines after it unread).
  const blank = body.indexOf('\n\n');
  const [head, refs] = blank === -1 ? [body, ''] : [body.slice(0, blank), body.slice(blank + 2)];
  const env: HookCall['env'] = {};
  for (const line of head.split('\n')) {
    const sp = line.indexOf(' ');
    const key = sp === -1 ? line : line.slice(0, sp);
    const value = sp === -1 ? '' : line.slice(sp + 1);
    if (value === '') continue;
    if (key === 'quarantine') env.GIT_QUARANTINE_PATH = value;
    else if (key === 'objects') env.GIT_OBJECT_DIRECTORY = value;
    else if (key === 'alternates') env.GIT_ALTERNATE_OBJECT_DIRECTORIES = value;
    else return null;
  }
  const updates: RefUpdate[] = [];
  const lines = refs.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // Every line a ref line: an empty one is a ref name git read with a newline in it, never skipped.
  for (const line of lines) {
    const update = parseRefLine(line);
    if (!update) return null;
    updates.push(update);
  }
  return { env, updates };
}

/** The hook listener and the registry of live push tokens. */
export class HookEndpoint {
  readonly #tokens = new Map<string, PushContext>();
  #server: Server | undefined;
  port = 0;

  constructor(
    private readonly judge: (ctx: PushContext, call: HookCall) => Promise<HookVerdict>,
    private readonly log: Logger,
  ) {}

  /** Register a push about to start; gives the token for its environment. */
  open(ctx: PushContext): string {
    const token = randomBytes(32).toString('hex');
    this.#tokens.set(token, ctx);
    return token;
  }

  /** Forget a push's token once its receive-pack has ended. */
  close(token: string): void {
    this.#tokens.delete(token);
  }

  async listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      const reply = (status: number, text: string) => {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end(text);
      };
      const token = req.headers['x-ccr-token'];
      const ctx = typeof token === 'string' ? this.#tokens.get(token) : undefined;
      if (req.method !== 'POST' || req.url !== '/hook' || !ctx) {
        req.resume();
        reply(403, 'refuse\nccr: not a push this server started\n');
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        // Its receive-pack may have ended while the body came: no judgement starts after that.
        if (!this.#tokens.has(token as string)) {
          reply(403, 'refuse\nccr: not a push this server started\n');
          return;
        }
        const call = parseHookBody(Buffer.concat(chunks).toString('utf8'));
        if (!call) {
          reply(200, 'refuse\nccr: the hook sent a malformed request\n');
          return;
        }
        const judged = this.judge(ctx, call);
        const judging = {
          running: true,
          done: Promise.allSettled([ctx.judging?.done, judged]).then(() => void (judging.running = false)),
        };
        ctx.judging = judging;
        judged.then(
          (v) => reply(200, `${v.accept ? 'accept' : 'refuse'}\n${v.lines.map((l) => l + '\n').join('')}`),
          (e: unknown) => {
            this.log('error', 'validator-failed', { request: ctx.requestId, record: ctx.recordId, error: e });
            reply(
              200,
              `refuse\nccr: internal error while judging the push (request ${ctx.requestId}); nothing was changed\n`,
            );
          },
        );
      });
    });
    this.#server.on('clientError', (_e, socket) => socket.destroy());
    this.#server.on('error', (e) => this.log('error', 'hook-endpoint-failed', { error: e }));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
