// The spawn helper: a small process of its own that starts git's services for the server
// (server/gitSpawner.ts). Starting a process costs the caller's event loop time that grows with
// its resident memory (1 ms at 45 MB, 17 ms at 400 MB; issue 17); this process stays small, so the
// server's event loop pays a socket connection instead. Each connection to its Unix socket (in a
// folder only the server's user can open) carries one line of JSON, {id, args, env}, naming one of
// git's two services over a repository path, or the index-pack of a push landed without
// receive-pack (anything else is refused); git then runs with that connection as its stdin and
// stdout, and its exit status and stderr go back over the IPC channel. The helper imports nothing
// of CCR's and ends when the server goes away or after a moment with nothing to do.

import { spawn, type ChildProcess } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname } from 'node:path';

/** A request line: what to start. Only `git` is ever started, and only as `allowed` says. */
interface Start {
  id: number;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Messages from the server: stop a run. */
interface Kill {
  kill: number;
  signal: NodeJS.Signals;
}

const STDERR_MAX = 8192;
/**
 * Idle this long (no git running, no request), the helper ends; the server starts another on its
 * next git request. A process that waits for its children (a test runner's) then ends too.
 */
const IDLE_MS = 2000;
let idle: NodeJS.Timeout | undefined;
let connections = 0;
/** Start the idle countdown when nothing is going on; stop it when something is. */
function watchIdle(): void {
  clearTimeout(idle);
  if (running.size > 0 || connections > 0) return;
  idle = setTimeout(() => server.close(() => process.exit(0)), IDLE_MS);
}
const LINE_MAX = 1024 * 1024;
/** git's two services, the only commands the helper starts. */
const SERVICES = new Set(['upload-pack', 'receive-pack']);
/** The environment the server gives git (git/run.ts gitEnv, the hook's port and token, the protocol). */
const ENV_KEYS = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TMPDIR',
  'SystemRoot',
  'LC_ALL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_GLOBAL',
  'GIT_TERMINAL_PROMPT',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_GRAFT_FILE',
  'GIT_PROTOCOL',
  'CCR_HOOK_PORT',
  'CCR_HOOK_TOKEN',
]);

/**
 * The one other command: `git --git-dir=<absolute path> index-pack --stdin --fix-thin --strict
 * --keep=ccr-push --max-input-size=<bytes>`, which stores a push's pack in a quarantine folder
 * (server/landAhead.ts), as receive-pack has its own index-pack do: GIT_OBJECT_DIRECTORY a
 * `tmp_objdir-ccr-*` folder in the record's objects, GIT_ALTERNATE_OBJECT_DIRECTORIES those objects.
 */
const INDEX_PACK = ['index-pack', '--stdin', '--fix-thin', '--strict', '--keep=ccr-push'];

const GIT_DIR = '--git-dir=';

const absolute = (path: unknown): path is string =>
  typeof path === 'string' && path.startsWith('/') && !/[\0\n]/.test(path);

/** Why these arguments are not one of the commands the helper starts, or null. */
function commandRefusal(args: unknown[]): string | null {
  if (args.length === 3) {
    const [service, mode, path] = args;
    if (typeof service !== 'string' || !SERVICES.has(service)) return `not a git service: ${String(service)}`;
    if (mode !== '--stateless-rpc') return 'only --stateless-rpc runs';
    return absolute(path) ? null : 'not an absolute path';
  }
  const [dir, ...rest] = args;
  if (typeof dir !== 'string' || !dir.startsWith(GIT_DIR) || !absolute(dir.slice(GIT_DIR.length)))
    return 'not a git command';
  const max = rest.pop();
  if (typeof max !== 'string' || !/^--max-input-size=[0-9]{1,15}$/.test(max)) return 'not a git command';
  return rest.length === INDEX_PACK.length && rest.every((a, i) => a === INDEX_PACK[i]) ? null : 'not a git command';
}

/**
 * Why a request is refused, or null: `git upload-pack|receive-pack --stateless-rpc <absolute path>`
 * or the index-pack above, with string values for the server's environment keys (and, for
 * index-pack, the quarantine's two) and nothing else. The boundary is the
 * socket's folder, which admits only the server's user (who could run anything anyway); this list
 * narrows what a request can ask for, but PATH and GIT_CONFIG_GLOBAL still come with each request
 * (one helper serves every server of a process, each with its own configuration), so a client of
 * that user could still point git at another program: hardening, not a second boundary.
 */
function refusal(start: Partial<Start> | null): string | null {
  if (typeof start !== 'object' || start === null) return 'not a request';
  const { args, env } = start;
  if (typeof start.id !== 'number') return 'no request id';
  if (!Array.isArray(args)) return 'not a git service';
  const command = commandRefusal(args as unknown[]);
  if (command) return command;
  if (typeof env !== 'object' || env === null) return 'no environment';
  // index-pack: the quarantine is a folder of its own in the record's objects, with the record behind it.
  const objects = args.length === 3 ? null : `${String(args[0]).slice(GIT_DIR.length)}/objects`;
  for (const [key, value] of Object.entries(env)) {
    if (objects && quarantineValue(key, value, objects)) continue;
    if (!ENV_KEYS.has(key) || typeof value !== 'string') return `environment variable not given to git: ${key}`;
  }
  if (objects && !(env.GIT_OBJECT_DIRECTORY && env.GIT_ALTERNATE_OBJECT_DIRECTORIES)) return 'no quarantine';
  return null;
}

/** True for the quarantine's two variables as the server sets them for the record's `objects`. */
function quarantineValue(key: string, value: unknown, objects: string): boolean {
  if (key === 'GIT_ALTERNATE_OBJECT_DIRECTORIES') return value === objects;
  if (key !== 'GIT_OBJECT_DIRECTORY' || typeof value !== 'string') return false;
  const name = value.startsWith(`${objects}/`) ? value.slice(objects.length + 1) : '';
  return /^tmp_objdir-ccr-[A-Za-z0-9]+$/.test(name);
}
const running = new Map<number, ChildProcess>();
const send = (m: object) => {
  if (process.connected) process.send!(m);
};

/** Start git for one connection, once its request line has come (and nothing after it: the server waits). */
function serve(socket: Socket): void {
  connections++;
  watchIdle();
  socket.once('close', () => {
    connections--;
    watchIdle();
  });
  let head = '';
  const onData = (d: Buffer) => {
    head += d.toString('utf8');
    const nl = head.indexOf('\n');
    if (nl === -1) {
      if (head.length > LINE_MAX) socket.destroy();
      return;
    }
    socket.off('data', onData);
    socket.pause();
    let start: Start;
    try {
      start = JSON.parse(head.slice(0, nl)) as Start;
    } catch {
      socket.destroy();
      return;
    }
    const refused = refusal(start);
    if (refused) {
      socket.destroy();
      const id: unknown = typeof start === 'object' && start !== null ? start.id : undefined;
      if (typeof id === 'number') send({ id, error: `refused: ${refused}` });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn('git', start.args, { env: start.env, stdio: [socket, socket, 'pipe'] });
    } catch (e) {
      socket.destroy();
      send({ id: start.id, error: String(e) });
      return;
    }
    // git holds its own copy of the connection now; the helper's is closed so git's exit ends it.
    socket.destroy();
    running.set(start.id, child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < STDERR_MAX) stderr += c.toString();
    });
    child.on('error', (e) => send({ id: start.id, error: String(e) }));
    child.on('close', (code, signal) => {
      running.delete(start.id);
      send({ id: start.id, code, signal, stderr });
      watchIdle();
    });
    send({ id: start.id, pid: child.pid });
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
}

const path = process.argv[2];
if (!path || !process.send) process.exit(2);
// The socket and the folder the server made for it go with the helper, however it ends: a server
// that ended first cannot remove them (every server process, test files included, left one).
process.on('exit', () => {
  rmSync(path, { force: true });
  try {
    rmdirSync(dirname(path));
  } catch {
    /* not empty, or gone already (the server removes it when it sees the helper go) */
  }
});
// A terminal's Ctrl-C or a service manager's stop signals the whole process group: the helper
// stays for its server, which may still be finishing pushes through it, and leaves with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
process.on('message', (m: Kill) => {
  const child = running.get(m.kill);
  if (child && child.exitCode === null && child.signalCode === null) child.kill(m.signal);
});
// The server went away (ended, or crashed mid-push): so does the helper, and its git runs with it.
// A receive-pack left running would call a hook port no server holds any more, where another
// process could listen; ended now, it moves no ref (git removes its lock files on SIGTERM).
process.on('disconnect', () => {
  for (const child of running.values()) child.kill('SIGTERM');
  process.exit(0);
});
const server = createServer(serve);
server.listen(path, () => {
  send({ listening: true });
  watchIdle();
});
server.on('error', (e) => {
  send({ failed: String(e) });
  process.exit(1);
});
