// The bridge to git's own smart HTTP: `upload-pack` and `receive-pack` in `--stateless-rpc` mode,
// streamed both ways. Protocol v2 for fetches passes through the Git-Protocol header; request
// bodies are inflated here (gzip) so the size cap holds after inflation too; a client that goes
// away takes its git process with it.

import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Transform, pipeline, type TransformCallback } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PayloadTooLarge } from '../core/errors.js';
import { pkt, type AdvertisementSource } from './advertisement.js';
import { spawnGit, type GitProcess } from './gitSpawner.js';

/** The two git services CCR serves. */
export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** The protocol a client asks for; only the values git sends are passed to git. */
export function protocolOf(req: IncomingMessage): string | undefined {
  const v = req.headers['git-protocol'];
  return typeof v === 'string' && /^version=[012]$/.test(v) ? v : undefined;
}

const noCache = {
  'Cache-Control': 'no-cache, max-age=0, must-revalidate',
  Pragma: 'no-cache',
  Expires: 'Fri, 01 Jan 1980 00:00:00 GMT',
};

/** Who is shown a whole request body (as git reads it, inflated) when it is at most `limit` bytes. */
export interface BodyWatch {
  limit: number;
  seen(body: Buffer): void;
}

/** Counts bytes and fails past a cap; keeps a small body for its watch. */
class Cap extends Transform {
  bytes = 0;
  #kept: Buffer[] | null;
  constructor(
    readonly max: number,
    private readonly watch?: BodyWatch,
  ) {
    super();
    this.#kept = watch ? [] : null;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) return cb(new PayloadTooLarge(`the request body is larger than ${this.max} bytes`));
    if (this.#kept && this.bytes <= this.watch!.limit) this.#kept.push(chunk);
    else this.#kept = null;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const kept = this.#kept;
    this.#kept = null;
    if (kept) this.watch!.seen(Buffer.concat(kept));
    cb();
  }
}

/** The outcome of a git exchange, for the access log. */
export interface Exchange {
  code: number | null;
  /** The client went away before the answer was complete. */
  aborted: boolean;
  /** The body passed the cap (after inflation). */
  tooLarge: boolean;
  /** The body could not be read (a broken gzip stream, a reset), by error code. */
  bodyError?: string;
  bytesIn: number;
  stderr: string;
  /** Why the request was refused before git saw it (an upload-pack request for what may not be read). */
  refused?: string;
  /** receive-pack's `unpack` status when it reported one: `ok`, or why git refused the objects (its fsck). */
  unpack?: string;
  /** receive-pack reported `ok refs/heads/main`: it moved main. */
  mainUpdated?: boolean;
}

/** The largest answer of git's that teaches `Advertisements` (a record's is a few hundred bytes). */
const LEARN_MAX = 64 * 1024;

/**
 * Answer `GET info/refs?service=…`: the ref advertisement, from what `known` learned when it can
 * (no git started), else git's own (which `known` learns from).
 */
export async function advertise(
  req: IncomingMessage,
  res: ServerResponse,
  gitdir: string,
  service: GitService,
  env: NodeJS.ProcessEnv,
  known?: AdvertisementSource,
): Promise<Exchange> {
  const protocol = protocolOf(req);
  const ready = await known?.answer(gitdir, service, protocol);
  res.writeHead(200, { 'Content-Type': `application/x-${service}-advertisement`, ...noCache });
  if (!(protocol === 'version=2' && service === 'git-upload-pack')) res.write(pkt(`# service=${service}\n`) + '0000');
  if (ready) {
    res.end(ready);
    return { code: 0, aborted: false, tooLarge: false, bytesIn: 0, stderr: '' };
  }
  const child = spawn('git', [service.slice(4), '--stateless-rpc', '--advertise-refs', gitdir], {
    env: { ...env, ...(protocol && service === 'git-upload-pack' ? { GIT_PROTOCOL: protocol } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: Buffer[] = [];
  let size = 0;
  child.stdout.on('data', (d: Buffer) => {
    size += d.length;
    if (size <= LEARN_MAX) seen.push(d);
  });
  const exchange = await stream(req, res, child, null, 0);
  if (known && exchange.code === 0 && !exchange.aborted && size <= LEARN_MAX)
    known.learn(service, protocol, Buffer.concat(seen));
  return exchange;
}

/**
 * A decision on a whole request body before git sees it: null lets git answer; a refusal is shown
 * to the client; a malformed body is a bad request (never passed on: git might act on its start);
 * a body is what git answers instead.
 */
export type Admit = (body: Buffer) => Promise<{ refusal: string } | { malformed: string } | { body: Buffer } | null>;

/**
 * Answer `POST git-upload-pack` or `POST git-receive-pack`. With `admit`, the body (small: a fetch
 * negotiation) is read whole and judged first; a refusal is answered as git answers one, an
 * `ERR` pkt-line the client prints as "remote error: …".
 */
export async function rpc(
  req: IncomingMessage,
  res: ServerResponse,
  gitdir: string,
  service: GitService,
  env: NodeJS.ProcessEnv,
  maxBody: number,
  admit?: Admit,
  watch?: BodyWatch,
): Promise<Exchange> {
  if (!admit) return streamed(req, res, gitdir, service, env, maxBody, watch);
  const read = await readBody(req, maxBody);
  if (!('body' in read)) return { code: null, aborted: false, bytesIn: read.bytes, stderr: '', ...read.failure };
  const decision = await admit(read.body);
  const answered = { code: 0, aborted: false, tooLarge: false, bytesIn: read.body.length, stderr: '' };
  if (decision && 'malformed' in decision) return { ...answered, code: null, bodyError: decision.malformed };
  if (decision && 'refusal' in decision) {
    resultHeaders(res, service)();
    res.end(pkt(`ERR ${decision.refusal}`));
    return { ...answered, refused: decision.refusal };
  }
  const exchange = await throughGit(
    req,
    res,
    gitdir,
    service,
    env,
    decision && 'body' in decision ? decision.body : read.body,
  );
  return { ...exchange, bytesIn: read.body.length };
}

/** Answer a request from git, given its body whole (already read, capped and inflated). */
export async function throughGit(
  req: IncomingMessage,
  res: ServerResponse,
  gitdir: string,
  service: GitService,
  env: NodeJS.ProcessEnv,
  body: Buffer,
): Promise<Exchange> {
  const child = await serviceProcess(req, gitdir, service, env);
  child.stdin.on('error', () => undefined);
  child.stdin.end(body);
  const headers = resultHeaders(res, service);
  child.stdout.once('data', headers);
  const report = service === 'git-receive-pack' ? watchReport(child.stdout) : () => ({}) as Report;
  const exchange = withReport(await stream(req, res, child, null, 0), report());
  if (exchange.code === 0) headers();
  return { ...exchange, bytesIn: body.length };
}

/** A side-band frame of band 1 (data) or 2 (messages for the user), split as git splits them. */
function bands(band: 1 | 2, data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; at += SIDEBAND_MAX) {
    const part = data.subarray(at, at + SIDEBAND_MAX);
    const head = Buffer.from((part.length + 5).toString(16).padStart(4, '0') + String.fromCharCode(band), 'latin1');
    frames.push(head, part);
  }
  return frames;
}
/** The most data a side-band-64k frame carries: 65520 bytes less its length and band. */
const SIDEBAND_MAX = 65515;

/**
 * Answer a receive-pack request the server settled without git (server/landAhead.ts), in the
 * bytes receive-pack would send a side-band-64k client: the hook's lines as messages (band 2,
 * which git prints as `remote:` lines), then the report (band 1): objects unpacked, and the ref
 * updated or declined as by a pre-receive hook.
 */
export function answerPush(res: ServerResponse, lines: string[], ref: string, accepted: boolean): void {
  const report = [
    pkt('unpack ok\n'),
    pkt(accepted ? `ok ${ref}\n` : `ng ${ref} pre-receive hook declined\n`),
    '0000',
  ].join('');
  const messages = lines.length > 0 ? bands(2, Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8')) : [];
  res.writeHead(200, { 'Content-Type': 'application/x-git-receive-pack-result', ...noCache });
  res.end(Buffer.concat([...messages, ...bands(1, Buffer.from(report, 'latin1')), Buffer.from('0000')]));
}

/**
 * upload-pack or receive-pack for one request, with the protocol version the client asked for;
 * started by the spawn helper (server/gitSpawner.ts), so the event loop does not pay the spawn.
 */
function serviceProcess(
  req: IncomingMessage,
  gitdir: string,
  service: GitService,
  env: NodeJS.ProcessEnv,
): Promise<GitProcess> {
  const protocol = protocolOf(req);
  return spawnGit([service.slice(4), '--stateless-rpc', gitdir], {
    ...env,
    ...(protocol && service === 'git-upload-pack' ? { GIT_PROTOCOL: protocol } : {}),
  });
}

/** Writes the result headers once, when git's answer begins (so a git failure can still be a 400). */
function resultHeaders(res: ServerResponse, service: GitService): () => void {
  return () => {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': `application/x-${service}-result`, ...noCache });
  };
}

/** A whole request body, inflated and capped; or why it could not be read. */
type Body = { body: Buffer } | { bytes: number; failure: { tooLarge: boolean; bodyError?: string } };
export async function readBody(req: IncomingMessage, maxBody: number): Promise<Body> {
  const cap = new Cap(maxBody);
  const chunks: Buffer[] = [];
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  };
  const gzip = /\bgzip\b/i.test(String(req.headers['content-encoding'] ?? ''));
  try {
    await (gzip ? pipelineAsync(req, createGunzip(), cap, collect) : pipelineAsync(req, cap, collect));
    return { body: Buffer.concat(chunks) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err instanceof PayloadTooLarge) return { bytes: cap.bytes, failure: { tooLarge: true } };
    return { bytes: cap.bytes, failure: { tooLarge: false, bodyError: err.code ?? err.message } };
  }
}

/** Stream a request through git, for receive-pack (a pack can be large) and upload-pack without `admit`. */
async function streamed(
  req: IncomingMessage,
  res: ServerResponse,
  gitdir: string,
  service: GitService,
  env: NodeJS.ProcessEnv,
  maxBody: number,
  watch?: BodyWatch,
): Promise<Exchange> {
  const child = await serviceProcess(req, gitdir, service, env);
  const headers = resultHeaders(res, service);
  child.stdout.once('data', headers);
  const report = service === 'git-receive-pack' ? watchReport(child.stdout) : () => ({}) as Report;
  return stream(req, res, child, req, maxBody, watch).then((done) => {
    const exchange = withReport(done, report());
    // A request git answers with nothing (a bare flush) still gets its result type.
    if (exchange.code === 0 && !exchange.tooLarge && !exchange.bodyError) headers();
    return exchange;
  });
}

/** An exchange with what receive-pack's report said. */
function withReport(exchange: Exchange, { unpack, mainUpdated }: Report): Exchange {
  if (unpack !== undefined) exchange.unpack = unpack;
  if (mainUpdated) exchange.mainUpdated = true;
  return exchange;
}

/**
 * receive-pack's report (inside its side-band frames): the `unpack` line (git refuses objects its
 * fsck finds malformed before the pre-receive hook runs, and the access log should say so), and
 * whether it reports `ok refs/heads/main` (a pkt-line of its own: its 4 hex digits of length first).
 */
type Report = { unpack?: string; mainUpdated?: boolean };
function watchReport(out: NodeJS.ReadableStream): () => Report {
  let tail = '';
  let unpack: string | undefined;
  let mainUpdated = false;
  out.on('data', (d: Buffer) => {
    tail = (tail + d.toString('latin1')).slice(-4096);
    unpack ??= /unpack ([^\n\0]*)\n/.exec(tail)?.[1];
    mainUpdated ||= /[0-9a-f]{4}ok refs\/heads\/main\n/.test(tail);
  });
  return () => ({ ...(unpack !== undefined ? { unpack } : {}), mainUpdated });
}

/** Stream a request body into git and git's output into the response. */
function stream(
  req: IncomingMessage,
  res: ServerResponse,
  child: GitProcess | ChildProcess,
  body: IncomingMessage | null,
  maxBody: number,
  watch?: BodyWatch,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const exchange: Exchange = { code: null, aborted: false, tooLarge: false, bytesIn: 0, stderr: '' };
    let done = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }
    };
    child.stderr!.on('data', (d: Buffer) => {
      if (exchange.stderr.length < 8192) exchange.stderr += d.toString();
    });
    res.on('close', () => {
      if (!res.writableFinished) {
        exchange.aborted = true;
        kill();
      }
    });
    if (body) {
      // The request is fed through a PassThrough so a failed body (too large, broken gzip) stops
      // git without destroying the socket: the error answer must still reach the client.
      const source = new PassThrough();
      body.pipe(source);
      const cap = new Cap(maxBody, watch);
      const gzip = /\bgzip\b/i.test(String(req.headers['content-encoding'] ?? ''));
      const onError = (e: NodeJS.ErrnoException | null) => {
        exchange.bytesIn = cap.bytes;
        if (!e) return;
        body.unpipe(source);
        if (e instanceof PayloadTooLarge) exchange.tooLarge = true;
        else if (e.code !== 'EPIPE') exchange.bodyError = e.code ?? e.message;
        kill();
      };
      if (gzip) pipeline(source, createGunzip(), cap, child.stdin!, onError);
      else pipeline(source, cap, child.stdin!, onError);
    }
    child.stdout!.pipe(res, { end: false });
    child.on('error', () => kill());
    child.on('close', (code) => {
      if (done) return;
      done = true;
      exchange.code = code;
      resolve(exchange);
    });
  });
}
