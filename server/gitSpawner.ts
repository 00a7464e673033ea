// git's services started through the spawn helper (server/spawnHelper.c, compiled into
// dist/bin/ccr-spawn), so that the server's event loop does not pay a process start that grows with
// its memory (issue 17). A run looks to server/smartHttp.ts like a child process: stdin and stdout
// are one Unix socket (git's own stdio), stderr and the exit status come as lines on the helper's
// stdout. When the helper cannot be used (not compiled, not started yet, gone, CCR_SPAWN_HELPER=0)
// git is started directly, as before.

import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { SPAWN_HELPER } from '../git/run.js';

/** What server/smartHttp.ts uses of a git process. */
export interface GitProcess extends EventEmitter {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
  kill(signal: NodeJS.Signals): boolean;
}

/** A message from the helper. */
type HelperMessage =
  | { listening: true }
  | { failed: string }
  | { id: number; pid: number }
  | { id: number; error: string }
  | { id: number; code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** A git run through the helper: the socket is git's stdin and stdout. */
class HelperRun extends EventEmitter implements GitProcess {
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #exited = false;
  #outputEnded = false;
  #closed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly helper: Helper,
  ) {
    super();
    socket.on('error', () => undefined);
    // git's output is all read at 'end' (the body may still be on its way, as to a child's stdin).
    const done = () => {
      this.#outputEnded = true;
      this.#maybeClose();
    };
    socket.on('end', done);
    socket.on('close', done);
    // git may have ended (failing at its start) before the helper's word that it started was read.
    if (socket.readableEnded) done();
  }

  get stdin(): Writable {
    return this.socket;
  }

  get stdout(): Readable {
    return this.socket;
  }

  kill(signal: NodeJS.Signals): boolean {
    if (this.#exited) return false;
    return this.helper.kill(this.id, signal);
  }

  /** The helper's word on this run. */
  message(m: { error: string } | { code: number | null; signal: NodeJS.Signals | null; stderr: string }): void {
    if ('error' in m) {
      this.socket.destroy();
      this.#exit(null, 'SIGKILL', '');
      this.emit('error', new Error(m.error));
      return;
    }
    this.#exit(m.code, m.signal, m.stderr);
  }

  /** The helper went away: the run is over for this process (git ends with its connection). */
  lost(): void {
    this.socket.destroy();
    this.#exit(null, 'SIGKILL', '');
  }

  #exit(code: number | null, signal: NodeJS.Signals | null, stderr: string): void {
    if (this.#exited) return;
    this.#exited = true;
    this.exitCode = code;
    this.signalCode = signal;
    this.stderr.end(stderr);
    this.emit('exit', code, signal);
    this.#maybeClose();
  }

  /** 'close' as a child process emits it: after the exit and once its output is all read. */
  #maybeClose(): void {
    if (this.#closed || !this.#exited || !this.#outputEnded) return;
    this.#closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** How long a connection the helper closed waits for its word before git is started directly. */
const WORD_WAIT_MS = 1000;

/** The helper process and its runs. */
class Helper {
  readonly #dir = mkdtempSync(join(tmpdir(), 'ccr-spawn-'));
  readonly #path = join(this.#dir, 'helper.sock');
  readonly #runs = new Map<number, HelperRun>();
  readonly #pending = new Map<number, (run: HelperRun | null) => void>();
  readonly #sockets = new Map<number, Socket>();
  #next = 1;
  #inFlight = 0;
  readonly child: ChildProcess;
  /** Set once the helper listens; false once it has gone. */
  ready: boolean | null = null;
  /** Requests the helper refused (not one of git's two services over a path). */
  refused = 0;

  constructor(binary: string) {
    this.child = spawn(binary, [this.#path], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    createInterface({ input: this.child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      let m: HelperMessage;
      try {
        m = JSON.parse(line) as HelperMessage;
      } catch {
        this.#gone(); // not the helper's word: nothing more from it is trusted
        return;
      }
      this.#message(m);
    });
    this.child.stdin!.on('error', () => undefined); // a helper gone: its exit says so
    this.child.on('error', () => this.#gone());
    this.child.on('exit', () => this.#gone());
    // The helper keeps the server alive only while a run waits to start (#hold); a run started is
    // held by its socket, as a child's pipes hold its parent. Its stdin, written to only to kill a
    // run, never holds it.
    this.child.unref();
    (this.child.stdin as Socket).unref();
    this.#hold(0);
  }

  /** Count runs waiting to start; the helper's stdout holds the event loop only while there are some. */
  #hold(delta: number): void {
    this.#inFlight += delta;
    const out = this.child.stdout as Socket;
    if (this.#inFlight > 0) out.ref();
    else out.unref();
  }

  /** Start git; null when the helper cannot (the caller starts git itself). */
  start(args: string[], env: NodeJS.ProcessEnv): Promise<HelperRun | null> {
    const id = this.#next;
    const request = this.ready === true ? helperRequest(id, args, env) : null;
    if (request === null) return Promise.resolve(null);
    this.#next++;
    this.#hold(1);
    return new Promise((resolve) => {
      const socket = connect({ path: this.#path, allowHalfOpen: true });
      this.#sockets.set(id, socket);
      this.#pending.set(id, resolve);
      socket.once('error', () => this.#settle(id, null));
      // Closed: its word on this id may still be on its way (it answers every request with an
      // id, then closes); without one soon, git is started directly.
      socket.once('end', () => setTimeout(() => this.#settle(id, null), WORD_WAIT_MS).unref());
      socket.write(request);
    });
  }

  kill(id: number, signal: NodeJS.Signals): boolean {
    if (this.ready !== true) return false;
    this.child.stdin!.write(`${id} ${constants.signals[signal]}\n`);
    return true;
  }

  #settle(id: number, run: HelperRun | null): void {
    if (!this.#pending.has(id)) return; // settled already: the socket is the run's, or gone
    const resolve = this.#pending.get(id);
    this.#pending.delete(id);
    if (!run) this.#sockets.get(id)?.destroy();
    this.#sockets.delete(id);
    if (resolve) this.#hold(-1);
    resolve?.(run);
  }

  #message(m: HelperMessage): void {
    if ('listening' in m) this.ready = true;
    else if ('failed' in m) this.#gone();
    else if ('pid' in m) {
      const socket = this.#sockets.get(m.id);
      if (!socket) return;
      const run = new HelperRun(m.id, socket, this);
      this.#runs.set(m.id, run);
      run.once('close', () => this.#runs.delete(m.id));
      this.#settle(m.id, run);
    } else if (this.#pending.has(m.id)) {
      if ('error' in m && m.error.startsWith('refused:')) this.refused++;
      this.#settle(m.id, null); // it could not or would not start git: git is started directly
    } else this.#runs.get(m.id)?.message(m);
  }

  #gone(): void {
    if (this.ready === false) return;
    this.ready = false;
    this.child.stdout!.destroy();
    for (const id of [...this.#pending.keys()]) this.#settle(id, null);
    for (const run of this.#runs.values()) run.lost();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

let helper: Helper | null = null;

/** Requests the current helper refused, and whether it is up (for tests). */
export function spawnHelperState(): { ready: boolean; refused: number } {
  return { ready: helper?.ready === true, refused: helper?.refused ?? 0 };
}

/**
 * Start the helper (unless CCR_SPAWN_HELPER=0, or none was compiled: without a C compiler, or while
 * a build replaces it); a run finds it once it listens.
 */
export function startSpawnHelper(): void {
  if (process.env['CCR_SPAWN_HELPER'] === '0' || !existsSync(SPAWN_HELPER)) return;
  if (!helper) void sweepStale();
  if (!helper || helper.ready === false) helper = new Helper(SPAWN_HELPER);
}

/**
 * A request as the helper reads it: NUL-terminated strings, the id, the number of arguments, the
 * arguments, KEY=VALUE environment entries, then an empty string. null when a string holds a NUL
 * (Node's spawn refuses those too: the caller's direct start says why).
 */
export function helperRequest(id: number, args: readonly string[], env: NodeJS.ProcessEnv): Buffer | null {
  const entries = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  const strings = [String(id), String(args.length), ...args, ...entries];
  if (strings.some((x) => x.includes('\0') || x === '')) return null;
  return Buffer.from(`${strings.join('\0')}\0\0`);
}

/** A helper's folder younger than this may be one whose helper has not started listening yet. */
const STALE_MS = 60_000;

/**
 * Remove the folders of helpers that ended without removing them (killed by SIGKILL with their
 * server's process group, say): this user's, a minute old or more, holding nothing but a socket
 * that no helper listens on. Once a process, when its first helper starts; in the background, one
 * folder at a time, and never an error of its own.
 */
async function sweepStale(): Promise<void> {
  try {
    for (const name of await readdir(tmpdir())) {
      if (!/^ccr-spawn-[A-Za-z0-9]{6}$/.test(name)) continue;
      const dir = join(tmpdir(), name);
      try {
        const stat = await lstat(dir);
        if (!stat.isDirectory() || stat.uid !== process.getuid?.() || Date.now() - stat.mtimeMs < STALE_MS) continue;
        if ((await readdir(dir)).some((f) => f !== 'helper.sock')) continue;
        if (await nobodyListens(join(dir, 'helper.sock'))) await rm(dir, { recursive: true, force: true });
      } catch {
        /* gone meanwhile, or not ours to remove: left as it is */
      }
    }
  } catch {
    /* no temporary folder to read: nothing to sweep */
  }
}

/** True when connecting to the socket is refused, or there is none (a live helper accepts). */
function nobodyListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT'));
  });
}

/**
 * Start `git args` with piped stdio: through the helper when it is ready, else directly. The first
 * call starts the helper (a process that serves no git request never has one).
 */
export async function spawnGit(args: string[], env: NodeJS.ProcessEnv): Promise<GitProcess> {
  const run = helper ? await helper.start(args, env) : null;
  if (run) return run;
  if (!helper || helper.ready === false) startSpawnHelper(); // none yet, or gone: the next run finds a new one
  return spawn('git', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
}
