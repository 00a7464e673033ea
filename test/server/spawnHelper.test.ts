// The spawn helper (server/gitSpawner.ts, server/spawnHelper.c): git started by a small process
// of its own answers as a child of the server would: stdin to EOF, stdout, stderr, exit status,
// and a kill that ends it. It starts only git's two services over a repository path, and
// index-pack into a quarantine.

import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SPAWN_HELPER,
  helperRequest,
  spawnGit,
  spawnHelperState,
  startSpawnHelper,
  type GitProcess,
} from '../../server/gitSpawner.js';
import { gitEnv, runGit } from '../../git/run.js';

const dir = mkdtempSync(join(tmpdir(), 'ccr-spawn-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const repo = join(dir, 'record.git');

t.before(async () => {
  const init = await runGit(['init', '-q', '--bare', repo]);
  if (init.code !== 0) throw new Error(init.stderr);
});

/**
 * Run to its close: stdout, stderr and the exit code. A timer holds this process meanwhile: the
 * helper's channel does not (a server's listener does), so the exit status can come after git's
 * output has ended.
 */
function finish(
  child: GitProcess,
  input?: string | Buffer,
): Promise<{ out: string; err: string; code: number | null }> {
  const hold = setInterval(() => undefined, 1000);
  return new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code: number | null) => resolve({ out, err, code }));
    child.stdin.on('error', () => undefined); // git may end before it reads (a refused path)
    if (input !== undefined) child.stdin.end(input);
  }).finally(() => clearInterval(hold));
}

/**
 * A helper of the test's own, in a folder of its own: its messages as they come, `listening` once
 * it listens, `exited` once it has ended. Ending its stdin is its server going away.
 */
function ownHelper(t: Test): {
  helper: ChildProcess;
  folder: string;
  messages: Record<string, unknown>[];
  listening: Promise<void>;
  exited: Promise<void>;
} {
  const folder = mkdtempSync(join(tmpdir(), 'ccr-spawn-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const helper = spawn(SPAWN_HELPER, [`${folder}/helper.sock`], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => helper.kill('SIGKILL'));
  const messages: Record<string, unknown>[] = [];
  const exited = new Promise<void>((r) => helper.once('exit', () => r()));
  const listening = new Promise<void>((resolve) => {
    createInterface({ input: helper.stdout! }).on('line', (line) => {
      messages.push(JSON.parse(line) as Record<string, unknown>);
      if (messages.at(-1)!['listening']) resolve();
    });
  });
  return { helper, folder, messages, listening, exited };
}

/** Wait until `ok()`, up to 10 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
}

/** A run started directly by this process (a ChildProcess has a pid; a run of the helper has none). */
const direct = (child: GitProcess) => 'pid' in child;

/** spawnGit once the helper listens (the first calls start git directly while it starts). */
async function viaHelper(args: string[], env = gitEnv()): Promise<GitProcess> {
  startSpawnHelper();
  for (let i = 0; i < 200; i++) {
    const child = await spawnGit(args, env);
    if (!direct(child)) return child;
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the spawn helper did not start');
}

t.test(
  'receive-pack through the helper reads stdin to its end and answers with stdout and its exit status',
  async (t) => {
    const r = await finish(await viaHelper(['receive-pack', '--stateless-rpc', repo]), '0000');
    t.equal(r.code, 0);
    t.equal(r.out, '', 'a flush alone: nothing to report');
  },
);

t.test('git failing through the helper gives its exit status and stderr', async (t) => {
  const r = await finish(await viaHelper(['upload-pack', '--stateless-rpc', join(dir, 'none.git')]), '');
  t.not(r.code, 0);
  t.match(r.err, /not appear to be a git repository|fatal/);
});

t.test('a run killed through the helper ends', async (t) => {
  const child = await viaHelper(['upload-pack', '--stateless-rpc', repo]);
  const done = finish(child);
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, null);
  t.equal(child.signalCode, 'SIGTERM');
});

t.test('the helper starts nothing but the two services over a path with the server environment', async (t) => {
  await finish(await viaHelper(['receive-pack', '--stateless-rpc', repo]), '0000'); // the helper listens
  const refused: [string, string[], NodeJS.ProcessEnv][] = [
    ['another git command', ['hash-object', '--stdin'], gitEnv()],
    ['a service with another mode', ['upload-pack', '--advertise-refs', repo], gitEnv()],
    ['an extra argument', ['upload-pack', '--stateless-rpc', repo, '--strict'], gitEnv()],
    ['a relative path', ['upload-pack', '--stateless-rpc', 'record.git'], gitEnv()],
    ['an option as the path', ['upload-pack', '--stateless-rpc', '--upload-pack=touch'], gitEnv()],
    [
      'configuration in the environment',
      ['upload-pack', '--stateless-rpc', repo],
      gitEnv('/dev/null', { GIT_CONFIG_COUNT: '1' }),
    ],
  ];
  for (const [what, args, env] of refused) {
    const before = spawnHelperState();
    t.ok(before.ready, 'the helper is up');
    const child = await spawnGit(args, env);
    t.ok(direct(child), `${what}: the server starts git itself`);
    t.equal(spawnHelperState().refused, before.refused + 1, `${what}: the helper refused it`);
    await finish(child, '');
  }
  const good = await viaHelper(['upload-pack', '--stateless-rpc', repo]);
  t.notOk(direct(good), 'the good neighbour runs in the helper');
  await finish(good, '');
});

t.test("besides the services, only index-pack of a push's pack into a quarantine (server/landAhead.ts)", async (t) => {
  await finish(await viaHelper(['receive-pack', '--stateless-rpc', repo]), '0000'); // the helper listens
  const quarantine = mkdtempSync(join(repo, 'objects', 'tmp_objdir-ccr-'));
  const args = [
    `--git-dir=${repo}`,
    'index-pack',
    '--stdin',
    '--fix-thin',
    '--strict',
    '--keep=ccr-push',
    '--max-input-size=1000',
  ];
  const objects = join(repo, 'objects');
  const env = gitEnv('/dev/null', { GIT_OBJECT_DIRECTORY: quarantine, GIT_ALTERNATE_OBJECT_DIRECTORIES: objects });
  const refused: [string, string[], NodeJS.ProcessEnv][] = [
    ['without --strict', args.filter((a) => a !== '--strict'), env],
    ['an option more', [...args.slice(0, -1), '--verify', args.at(-1)!], env],
    ['another keep message', args.map((a) => (a.startsWith('--keep') ? '--keep=other' : a)), env],
    ['no input limit', args.slice(0, -1), env],
    ['a limit that is not a number', [...args.slice(0, -1), '--max-input-size=1k'], env],
    ['a relative git folder', ['--git-dir=record.git', ...args.slice(1)], env],
    ['a relative quarantine', args, { ...env, GIT_OBJECT_DIRECTORY: 'objects/q' }],
    ['a quarantine outside the record', args, { ...env, GIT_OBJECT_DIRECTORY: join(dir, 'tmp_objdir-ccr-x') }],
    ['the record itself as the quarantine', args, { ...env, GIT_OBJECT_DIRECTORY: objects }],
    ['a quarantine below another folder', args, { ...env, GIT_OBJECT_DIRECTORY: `${quarantine}/../../x` }],
    ['other alternates', args, { ...env, GIT_ALTERNATE_OBJECT_DIRECTORIES: `${objects}:/tmp` }],
    ['no quarantine', args, gitEnv('/dev/null', { GIT_ALTERNATE_OBJECT_DIRECTORIES: objects })],
    ['a quarantine for a service', ['receive-pack', '--stateless-rpc', repo], env],
    ['another variable', args, { ...env, GIT_INDEX_FILE: '/tmp/index' }],
  ];
  for (const [what, a, e] of refused) {
    const before = spawnHelperState();
    const child = await spawnGit(a, e);
    t.ok(direct(child), `${what}: the server starts git itself`);
    t.equal(spawnHelperState().refused, before.refused + 1, `${what}: the helper refused it`);
    await finish(child, '');
  }
  // The good neighbour: an empty pack, stored in the quarantine by git in the helper.
  const empty = Buffer.concat([Buffer.from('PACK\0\0\0\x02\0\0\0\0', 'latin1')]);
  const pack = Buffer.concat([empty, createHash('sha1').update(empty).digest()]);
  const good = await spawnGit(args, env);
  t.notOk(direct(good), 'the good neighbour runs in the helper');
  const r = await finish(good, pack);
  t.equal(r.code, 0, r.err);
  t.match(readdirSync(join(quarantine, 'pack')).join(' '), /\.idx/, 'git wrote the pack and its index there');
});

t.test('the helper removes its socket and folder when it ends: after its server goes, and when idle', async (t) => {
  for (const how of ['the server goes', 'idle'] as const) {
    const { helper, folder, listening, exited } = ownHelper(t);
    await listening;
    t.ok(existsSync(`${folder}/helper.sock`), `${how}: it listens in the folder`);
    if (how === 'the server goes') helper.stdin!.end();
    await exited;
    t.notOk(existsSync(folder), `${how}: the folder is gone with it`);
  }
});

t.test('the helper ends its git runs when its server goes (a crash mid-push moves no ref)', async (t) => {
  const { helper, folder, messages, listening, exited } = ownHelper(t);
  await listening;
  // A receive-pack waiting for its request, the connection held open as a client's would be.
  const socket = connect(`${folder}/helper.sock`);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  socket.write(helperRequest(1, ['receive-pack', '--stateless-rpc', repo], gitEnv())!);
  await until(() => messages.some((m) => typeof m['pid'] === 'number'));
  const pid = messages.find((m) => typeof m['pid'] === 'number')!['pid'] as number;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.ok(alive(), 'git runs');
  helper.stdin!.end();
  await exited;
  await until(() => !alive());
  t.notOk(alive(), 'git ended with the helper');
});

t.test('the helper outlives a SIGINT or SIGTERM to its process group, and leaves with its server', async (t) => {
  const { helper, folder, listening, exited } = ownHelper(t);
  await listening;
  // A run keeps it from ending idle meanwhile: a connection with no request yet.
  const socket = connect(`${folder}/helper.sock`);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  helper.kill('SIGINT');
  helper.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(helper.exitCode ?? helper.signalCode, null, 'still running after both signals');
  helper.stdin!.end();
  await exited;
  t.notOk(existsSync(folder), 'gone with its server, its folder with it');
});

t.test('a run started by the helper gets the default action of the signals the helper ignores', async (t) => {
  const { helper, folder, messages, listening } = ownHelper(t);
  await listening;
  const socket = connect(`${folder}/helper.sock`);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  socket.write(helperRequest(7, ['upload-pack', '--stateless-rpc', repo], gitEnv())!);
  await until(() => messages.some((m) => m['id'] === 7 && typeof m['pid'] === 'number'));
  helper.stdin!.write(`7 ${constants.signals.SIGTERM}\n`); // the server's kill line
  await until(() => messages.some((m) => m['id'] === 7 && 'signal' in m));
  t.match(
    messages.find((m) => m['id'] === 7 && 'signal' in m),
    { code: null, signal: 'SIGTERM' },
  );
});

t.test('requests that are not whole, or not one, start nothing and the helper goes on serving', async (t) => {
  const { folder, messages, listening } = ownHelper(t);
  await listening;
  const env = gitEnv();
  const good = helperRequest(9, ['upload-pack', '--stateless-rpc', repo], env)!;
  /** Send bytes on a connection of their own; resolves when the helper closes it. */
  const send = (bytes: Buffer, half = false): Promise<void> =>
    new Promise((resolve) => {
      const s: Socket = connect(`${folder}/helper.sock`);
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.write(bytes);
      if (half) s.end();
    });
  const nul = (...strings: string[]) => Buffer.from(strings.map((x) => `${x}\0`).join(''));
  const hostile: [string, Buffer, boolean][] = [
    [
      'bytes after the request',
      Buffer.concat([helperRequest(8, ['upload-pack', '--stateless-rpc', repo], env)!, Buffer.from('0000')]),
      false,
    ],
    ['no count of arguments', nul('3', 'x', ''), false],
    ['a count beyond any command', nul('4', '99', ''), false],
    ['a request cut short', good.subarray(0, good.length - 1), true],
    ['more than a megabyte without an end', Buffer.alloc(1024 * 1024 + 10, 'a'), false],
  ];
  for (const [what, bytes, half] of hostile) {
    await send(bytes, half);
    t.notOk(
      messages.some((m) => typeof m['pid'] === 'number'),
      `${what}: nothing started`,
    );
  }
  const refused: [string, Buffer][] = [
    ['an environment variable given twice', helperRequest(10, ['upload-pack', '--stateless-rpc', repo], env)!],
    ['an entry that is not KEY=VALUE', nul('11', '3', 'upload-pack', '--stateless-rpc', repo, 'PATH', '')],
    ['a count that is not a number', nul('12', '3x', 'upload-pack', '--stateless-rpc', repo, '')],
  ];
  // The first: the same key twice, which an object cannot hold, written by hand.
  refused[0]![1] = nul('10', '3', 'upload-pack', '--stateless-rpc', repo, 'PATH=/usr/bin', 'PATH=/tmp', '');
  for (const [what, bytes] of refused) {
    const id = Number(bytes.toString('latin1').split('\0')[0]);
    const s = connect(`${folder}/helper.sock`);
    s.on('error', () => undefined);
    s.write(bytes);
    await until(() => messages.some((m) => m['id'] === id));
    t.match(
      messages.find((m) => m['id'] === id),
      { error: /^refused: / },
      `${what}: refused`,
    );
    s.destroy();
  }
  t.notOk(
    messages.some((m) => typeof m['pid'] === 'number'),
    'nothing started by any of them',
  );
  const s = connect(`${folder}/helper.sock`);
  t.teardown(() => s.destroy());
  s.on('error', () => undefined);
  s.write(good);
  await until(() => messages.some((m) => m['id'] === 9 && typeof m['pid'] === 'number'));
  t.ok(
    messages.some((m) => m['id'] === 9 && typeof m['pid'] === 'number'),
    'the good neighbour after them starts',
  );
  s.end('0000');
  await until(() => messages.some((m) => m['id'] === 9 && 'code' in m));
  t.match(
    messages.find((m) => m['id'] === 9 && 'code' in m),
    { code: 0, signal: null },
  );
});

t.test('a request holding a NUL or an empty string is never sent to the helper', async (t) => {
  t.equal(helperRequest(1, ['upload-pack', '--stateless-rpc', '/a\0b'], {}), null);
  t.equal(helperRequest(1, ['upload-pack', '', '/a'], {}), null);
  t.equal(helperRequest(1, ['upload-pack'], { PATH: 'a\0b' }), null);
  t.same(
    helperRequest(2, ['upload-pack', '--stateless-rpc', '/r'], { PATH: '/bin', HOME: undefined }),
    Buffer.from('2\x003\x00upload-pack\x00--stateless-rpc\x00/r\x00PATH=/bin\x00\x00'),
  );
});

t.test("a process's first helper removes the folders that helpers killed with SIGKILL left behind", async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'ccr-sweep-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const old = new Date(Date.now() - 5 * 60_000);
  const folder = (name: string, age: Date | null, ...files: string[]) => {
    const dir = join(tmp, `ccr-spawn-${name}`);
    mkdirSync(dir);
    for (const f of files) writeFileSync(join(dir, f), '');
    if (age) utimesSync(dir, age, age);
    return dir;
  };
  const stale = folder('Stale1', old, 'helper.sock'); // a socket file nobody listens on
  const empty = folder('Empty1', old);
  const young = folder('Young1', null, 'helper.sock'); // its helper may be about to listen
  const other = folder('Other1', old, 'helper.sock', 'notes.txt');
  const live = folder('Live01', null);
  const listener = createServer().listen(join(live, 'helper.sock'));
  t.teardown(() => listener.close());
  await new Promise((r) => listener.once('listening', r));
  utimesSync(live, old, old);
  const start = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `(await import(${JSON.stringify(new URL('../../server/gitSpawner.js', import.meta.url).href)})).startSpawnHelper()`,
    ],
    { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 },
  );
  t.equal(start.status, 0, start.stderr);
  t.notOk(existsSync(stale), 'an old folder whose socket nobody listens on is removed');
  t.notOk(existsSync(empty), 'and one with no socket');
  t.ok(existsSync(young), 'a young one is kept');
  t.ok(existsSync(other), 'one holding anything else is kept');
  t.ok(existsSync(live), 'one whose helper listens is kept');
});
