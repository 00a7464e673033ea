// The `ccr` agent: a per-user Node process that keeps the commands loaded, so the compiled front
// (cli/client.c, dist/bin/ccr) can run `ccr message add … --push`, `ccr thread list|show` and
// `ccr status show` without starting Node and loading the service for each (issue 17: the CLI path
// ≤ 2× git's; a Node start alone is half of git's `commit` + `push`). Like ssh-agent, it answers
// on a Unix socket in a folder only its user can enter; whoever can connect could run `ccr`
// anyway. It runs one command at a time, in the client's folder, environment and umask, its
// output sent back in frames; a second client while one runs, or a command that needs the
// terminal (stdin, $EDITOR, a password prompt), is told to run `ccr` itself. A build has its own
// socket (the bundle's hash in its name), so an agent never runs code other than the client's.
// It ends after AGENT_IDLE_MS without a command. The request and the frames:
//   request: u32 length, then NUL-terminated strings: MAGIC, umask (octal), cwd, argc, argv…, env…
//   frames:  one byte, u32 length, the bytes: 'r' (run it yourself; nothing was done), or 'a'
//            (the command runs), its output ('o' stdout, 'e' stderr), 'x' (the exit code in decimal).
// A client that loses the agent after 'a' says so and does not run the command again.

import { spawn } from 'node:child_process';
import { appendFileSync, lstatSync, mkdirSync, realpathSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { stopRunsWith } from '../git/run.js';
import { parse, type Command } from './args.js';

export const MAGIC = 'ccr-agent 1';

/** The agent ends after this long without a command (CCR_AGENT_IDLE_MS to choose, for tests). */
const AGENT_IDLE_MS = 10 * 60 * 1000;

/** A request is a command line and an environment: more than this is not one. */
const MAX_REQUEST = 1 << 20;

/** A client that connected but sends no whole request within this is dropped. */
const REQUEST_MS = 5000;

/** The agent's log (one JSON line per event, never a command's arguments) is emptied beyond this at start. */
const LOG_MAX_BYTES = 1 << 20;

/**
 * The folder of the user's agent sockets: $XDG_RUNTIME_DIR/ccr, else /tmp/ccr-<uid>; the C client
 * computes the same. Undefined where there is no uid (not POSIX).
 */
export function agentDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  const runtime = env['XDG_RUNTIME_DIR'];
  return runtime?.startsWith('/') ? join(runtime, 'ccr') : `/tmp/ccr-${process.getuid()}`;
}

/** The folder is ours alone: a real folder (not a link), owned by this user, closed to others. */
export function privateDir(dir: string): boolean {
  const s = lstatSync(dir, { throwIfNoEntry: false });
  return !!s && s.isDirectory() && s.uid === process.getuid?.() && (s.mode & 0o077) === 0;
}

/**
 * The commands the agent runs, and the action it logs: those that need neither the terminal nor
 * the caller's own process: the message given with --message, or with --file naming a regular
 * file (not stdin, a /dev or /proc path, a pipe: those are the caller's), read from `cwd`. Parsed
 * with the command's own options; undefined for anything else.
 */
export function agentMay(cmd: Command, name: string, rest: string[], cwd = process.cwd()): string | undefined {
  let parsed;
  try {
    parsed = parse(cmd, rest);
  } catch {
    return undefined; // the usage error is said the usual way
  }
  const v: Record<string, unknown> = parsed.values;
  const [action] = parsed.positionals;
  if (v['help'] || action === undefined) return undefined;
  if (name === 'message')
    return (action === 'add' || action === 'correct') &&
      !v['edit'] &&
      (typeof v['message'] === 'string' || (typeof v['file'] === 'string' && regularFile(cwd, v['file'])))
      ? action
      : undefined;
  if (name === 'thread') return action === 'list' || action === 'show' ? action : undefined;
  if (name === 'status') return action === 'show' ? action : undefined;
  return undefined;
}

/** A path that names a regular file anyone's process reads the same: not under /dev, /proc or /sys. */
function regularFile(cwd: string, file: string): boolean {
  try {
    const real = realpathSync(resolve(cwd, file));
    return !/^\/(dev|proc|sys)(\/|$)/.test(real) && statSync(real).isFile();
  } catch {
    return false; // Node says what is wrong with it
  }
}

/** What the agent keeps of the starting command's environment: where its files go, nothing of a command's (no token). */
const AGENT_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'XDG_RUNTIME_DIR', 'XDG_CACHE_HOME', 'CCR_AGENT_IDLE_MS'];

/** Start the agent for the bundle `cjs` (ccr.cjs) in the background, detached; it outlives this command. */
export function startAgent(cjs: string): void {
  const env: NodeJS.ProcessEnv = {};
  for (const k of AGENT_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  const child = spawn(process.execPath, [cjs, '__agent'], { detached: true, stdio: 'ignore', env, cwd: '/' });
  child.on('error', () => undefined);
  child.unref();
}

/** Output is sent in frames of at most this (the client takes up to 64 MiB). */
const FRAME_MAX = 1 << 20;

function frame(kind: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

interface Request {
  /** Every string was UTF-8 (a folder or argument that is not cannot be passed on as it is: Node runs it). */
  utf8: boolean;
  umask: number;
  cwd: string;
  argv: string[];
  env: Record<string, string>;
}

/** The request's strings, or a reason it is not one. */
export function parseRequest(body: Buffer): Request | string {
  const fields = body.toString('utf8').split('\0');
  if (fields.pop() !== '') return 'not NUL-terminated';
  const [magic, umask, cwd, argc, ...rest] = fields;
  if (magic !== MAGIC) return 'not a ccr client of this version';
  const n = Number(argc);
  if (!/^[0-7]{1,4}$/.test(umask ?? '') || !cwd?.startsWith('/') || !Number.isInteger(n) || n < 0 || n > rest.length)
    return 'malformed';
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const e of rest.slice(n)) {
    const eq = e.indexOf('=');
    if (eq > 0 && e.slice(0, eq) !== '__proto__') env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return {
    utf8: !fields.some((f) => f.includes('\uFFFD')),
    umask: parseInt(umask!, 8),
    cwd,
    argv: rest.slice(0, n),
    env,
  };
}

type Runner = (argv: string[]) => Promise<number>;
type Loader = (name: string) => Promise<Command | undefined>;

/**
 * Serve the agent on `<agentDir>/agent-<hash>.sock` until idle; gives when it has stopped. `run`
 * is cli/main.ts's runMain and `load` its command table, from the same bundle as the client's build.
 */
export async function serveAgent(
  hash: string,
  run: Runner,
  load: Loader,
  preload: () => Promise<unknown>,
): Promise<void> {
  const dir = agentDir();
  if (!dir) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!privateDir(dir)) return; // another user's folder, or one others can enter: no agent
  const path = join(dir, `agent-${hash.slice(0, 16)}.sock`);
  const logPath = join(dir, `agent-${hash.slice(0, 16)}.log`);
  if ((statSync(logPath, { throwIfNoEntry: false })?.size ?? 0) > LOG_MAX_BYTES) truncateSync(logPath);
  const log = (event: string, fields: Record<string, unknown> = {}) => {
    try {
      appendFileSync(
        logPath,
        JSON.stringify({ time: new Date().toISOString(), pid: process.pid, event, ...fields }) + '\n',
        { mode: 0o600 },
      );
    } catch {
      /* a log that cannot be written does not stop the agent */
    }
  };
  if (await answers(path)) return; // one is already serving this build
  try {
    unlinkSync(path); // a socket left by an agent that did not end well
  } catch {
    /* none */
  }
  const idleMs = Number(process.env['CCR_AGENT_IDLE_MS']) || AGENT_IDLE_MS;
  const base = { ...process.env };
  const baseCwd = process.cwd();
  let busy = false;
  /** Clients whose last frame may still be on its way: the process ends only once none is. */
  let answering = 0;
  let ending = false;
  let idle: NodeJS.Timeout | undefined;
  const server = createServer((socket) => {
    if (busy) {
      void answer(socket, frame('r', ''));
      log('busy');
      return;
    }
    busy = true;
    clearTimeout(idle);
    answering++;
    let held = true;
    /**
     * The process is the agent's own again (its environment, folder, umask and output restored):
     * the next client may be served. Called before the last frame goes out, so a client that starts
     * its next command as soon as this one's exit code arrives finds the agent free, not busy.
     */
    const free = () => {
      if (!held) return;
      held = false;
      busy = false;
      if (server.listening && !ending) idle = setTimeout(() => end('idle'), idleMs);
    };
    void serveOne(socket, free).finally(() => {
      answering--;
      free();
      if (ending && answering === 0) process.exit(0);
    });
  });

  /** One client: its request, the command run in its place, the frames. */
  async function serveOne(socket: Socket, free: () => void): Promise<void> {
    const body = await readRequest(socket);
    const req = typeof body === 'string' ? body : parseRequest(body);
    if (typeof req === 'string') {
      log('refused', { reason: req });
      socket.destroy();
      return;
    }
    const [name = '', ...rest] = req.argv;
    const cmd = await load(name);
    const action = req.utf8 && cmd ? agentMay(cmd, name, rest, req.cwd) : undefined;
    if (!action) {
      free();
      await answer(socket, frame('r', ''));
      return;
    }
    socket.write(frame('a', ''));
    // A client gone (Ctrl-C, killed) before the end: its git runs are stopped, as a Ctrl-C stops them.
    // Read on (nothing more is expected) so that its going is seen.
    socket.resume();
    const clientGone = new AbortController();
    socket.once('close', () => clientGone.abort());
    stopRunsWith(clientGone.signal);
    const started = performance.now();
    const send = (kind: 'o' | 'e') => (chunk: Uint8Array | string, enc?: unknown, cb?: unknown) => {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8')
          : Buffer.from(chunk);
      for (let at = 0; at < bytes.length && !socket.destroyed; at += FRAME_MAX)
        socket.write(frame(kind, bytes.subarray(at, at + FRAME_MAX)));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    };
    const out = process.stdout.write;
    const err = process.stderr.write;
    const umask = process.umask(req.umask);
    let code = 1;
    try {
      // No prompt can reach the user from here: git fails at once instead of waiting on no terminal.
      replaceEnv({ ...req.env, GIT_TERMINAL_PROMPT: '0' });
      process.stdout.write = send('o') as typeof out;
      process.stderr.write = send('e') as typeof err;
      process.chdir(req.cwd);
      code = await run(req.argv);
    } catch (e) {
      process.stderr.write(`ccr: ${(e as Error).message}\n`);
    } finally {
      stopRunsWith(undefined);
      process.stdout.write = out;
      process.stderr.write = err;
      process.umask(umask);
      replaceEnv(base);
      try {
        process.chdir(baseCwd);
      } catch {
        process.chdir('/');
      }
    }
    log('command', { command: `${name} ${action}`, code, ms: Math.round(performance.now() - started) });
    free();
    await answer(socket, frame('x', String(code)));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  }).catch((e: NodeJS.ErrnoException) => {
    // Another agent took the path between the check and the listen: it serves, this one ends.
    if (e.code !== 'EADDRINUSE') log('cannot-listen', { error: e.message });
    throw e;
  });
  log('start', { socket: path });
  const ino = statSync(path).ino;
  const ours = () => statSync(path, { throwIfNoEntry: false })?.ino === ino;
  /**
   * End: idle, or the socket removed or replaced (the folder cleaned, another agent), when it can
   * no longer be reached. Closing the server removes the socket's file (libuv unlinks the path),
   * so a replaced one is left as it is: the process ends without closing it.
   */
  const end = (reason: string) => {
    if (ours()) return void server.close();
    log('stop', { reason });
    if (answering === 0) process.exit(0);
    ending = true;
  };
  idle = setTimeout(() => end('idle'), idleMs);
  const gone = setInterval(() => {
    if (!ours()) end('socket gone');
  }, 2000).unref();
  server.once('close', () => clearInterval(gone));
  await preload();
  await new Promise<void>((resolve) => server.once('close', () => resolve()));
  clearTimeout(idle);
  log('stop', { reason: 'idle' });
}

/**
 * The last frame; the socket read to its end, so that the client's close is seen and it is freed.
 * Settles once the client closed (at most a second later).
 */
function answer(socket: Socket, last: Buffer): Promise<void> {
  if (socket.destroyed) return Promise.resolve(); // the client is gone already
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(last);
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000).unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** process.env made exactly `values`. */
function replaceEnv(values: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, values);
}

/** Some agent answers at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The request's body, or why there is none: too long, too slow, cut off. */
function readRequest(socket: Socket): Promise<Buffer | string> {
  return new Promise((resolve) => {
    let chunks: Buffer[] = [];
    let have = 0;
    const timer = setTimeout(() => finish('no whole request in time'), REQUEST_MS);
    const finish = (r: Buffer | string) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      resolve(r);
    };
    socket.on('error', () => finish('the client went away'));
    socket.on('end', () => finish('the client went away'));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have < 4) return;
      const all = Buffer.concat(chunks);
      chunks = [all];
      const length = all.readUInt32BE(0);
      if (length > MAX_REQUEST) return finish('too long');
      if (all.length >= 4 + length) finish(all.subarray(4, 4 + length));
    });
  });
}
