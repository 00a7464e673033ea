// The spawn helper (server/gitSpawner.ts, server/spawnHelper.c): git started by a small process
// of its own answers as a child of the server would: stdin to EOF, stdout, stderr, exit status,
// and a kill that ends it. It starts only git's two services over a repository path, and
// index-pack into a quarantine.

import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  helperRequest,
  spawnGit,
  spawnHelperState,
  startSpawnHelper,
  type GitProcess,
} from '../../server/gitSpawner.js';
import { SPAWN_HELPER, gitEnv, runGit } from '../../git/run.js';

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
 * it listens, `exited` with its exit status once it has ended, what it wrote to stderr. Ending its
 * stdin is its server going away. `command` starts it (the compiled helper by default), with the
 * socket's path as its last argument.
 */
function ownHelper(
  t: Test,
  command: string[] = [SPAWN_HELPER],
  env: NodeJS.ProcessEnv = process.env,
): {
  helper: ChildProcess;
  folder: string;
  messages: Record<string, unknown>[];
  listening: Promise<void>;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const folder = mkdtempSync(join(tmpdir(), 'ccr-spawn-'));
  t.teardown(() => rmSync(folder, { recursive: true, force: true }));
  const helper = spawn(command[0]!, [...command.slice(1), `${folder}/helper.sock`], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  t.teardown(() => helper.kill('SIGKILL'));
  let stderr = '';
  helper.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const messages: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((r) => helper.once('exit', (code) => r(code)));
  const listening = new Promise<void>((resolve) => {
    createInterface({ input: helper.stdout! }).on('line', (line) => {
      messages.push(JSON.parse(line) as Record<string, unknown>);
      if (messages.at(-1)!['listening']) resolve();
    });
  });
  return { helper, folder, messages, listening, exited, stderr: () => stderr };
}

/** Wait until `ok()`, up to 10 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
}

/** A connection to a helper's socket, ended with the test; its errors are the test's to look at. */
function dial(t: Test, folder: string): Socket {
  const socket = connect(`${folder}/helper.sock`);
  t.teardown(() => socket.destroy());
  socket.on('error', () => undefined);
  return socket;
}

/** The helper's word on run `id` that holds `key` (`pid`, `code`, `error`), once it has come (up to 10 s). */
async function word(
  messages: Record<string, unknown>[],
  id: number,
  key: string,
): Promise<Record<string, unknown> | undefined> {
  const find = () => messages.find((m) => m['id'] === id && key in m);
  await until(() => find() !== undefined);
  return find();
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
  const socket = dial(t, folder);
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
  const socket = dial(t, folder);
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
  const socket = dial(t, folder);
  socket.write(helperRequest(7, ['upload-pack', '--stateless-rpc', repo], gitEnv())!);
  await word(messages, 7, 'pid');
  helper.stdin!.write(`7 ${constants.signals.SIGTERM}\n`); // the server's kill line
  await word(messages, 7, 'signal');
  t.match(
    messages.find((m) => m['id'] === 7 && 'signal' in m),
    { code: null, signal: 'SIGTERM' },
  );
});

/**
 * Hostile requests to a helper, each on a connection of its own, then a good one: nothing of the
 * first starts git, each with an id is refused, and the good one runs to its exit status.
 */
async function hostileThenGood(t: Test, h: ReturnType<typeof ownHelper>): Promise<void> {
  const { folder, messages, listening } = h;
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
    // The same key twice, which an object cannot hold: written by hand.
    [
      'an environment variable given twice',
      nul('10', '3', 'upload-pack', '--stateless-rpc', repo, 'PATH=/usr/bin', 'PATH=/tmp', ''),
    ],
    ['an entry that is not KEY=VALUE', nul('11', '3', 'upload-pack', '--stateless-rpc', repo, 'PATH', '')],
    ['a count that is not a number', nul('12', '3x', 'upload-pack', '--stateless-rpc', repo, '')],
  ];
  for (const [what, bytes] of refused) {
    const id = Number(bytes.toString('latin1').split('\0')[0]);
    const s = dial(t, folder);
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
  const s = dial(t, folder);
  s.write(good);
  await word(messages, 9, 'pid');
  t.ok(
    messages.some((m) => m['id'] === 9 && typeof m['pid'] === 'number'),
    'the good neighbour after them starts',
  );
  s.end('0000');
  await word(messages, 9, 'code');
  t.match(
    messages.find((m) => m['id'] === 9 && 'code' in m),
    { code: 0, signal: null },
  );
}

t.test('requests that are not whole, or not one, start nothing and the helper goes on serving', async (t) => {
  await hostileThenGood(t, ownHelper(t));
});

t.test('under AddressSanitizer: hostile requests, runs, a kill and its end show no memory error', async (t) => {
  const binary = join(dir, 'ccr-spawn-asan');
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) {
    t.notOk(existsSync(SPAWN_HELPER), 'no C compiler here: no helper was built, the server starts git itself');
    return;
  }
  const source = new URL('../../../server/spawnHelper.c', import.meta.url).pathname;
  const cc = spawnSync(
    'cc',
    [
      '-O0',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-std=c11',
      '-D_GNU_SOURCE',
      '-o',
      binary,
      source,
    ],
    { encoding: 'utf8' },
  );
  t.equal(cc.status, 0, cc.stderr);
  const h = ownHelper(t, [binary], { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0' });
  await hostileThenGood(t, h);
  // A run killed, and one ended with its exit and its stderr's end in one wake of the helper.
  for (const [id, how] of [
    [21, 'kill'],
    [22, 'end'],
  ] as const) {
    const s = dial(t, h.folder);
    s.write(helperRequest(id, ['upload-pack', '--stateless-rpc', join(dir, 'none.git')], gitEnv())!);
    await word(h.messages, id, 'pid');
    if (how === 'kill') h.helper.stdin!.write(`${id} ${constants.signals.SIGKILL}\n`);
    await word(h.messages, id, 'code');
    t.ok(
      h.messages.some((m) => m['id'] === id && 'code' in m),
      `${how}: reported`,
    );
  }
  h.helper.stdin!.end();
  t.equal(await h.exited, 0, 'it ends when its server goes, with no sanitizer error');
  t.notMatch(h.stderr(), /Sanitizer|runtime error/);
});

t.test('a helper that cannot listen says why and ends', async (t) => {
  const r = spawnSync(SPAWN_HELPER, [join(dir, 'no-such-folder', 'helper.sock')], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.equal(r.status, 1);
  t.same(JSON.parse(r.stdout), { failed: 'No such file or directory' });
});

t.test('a helper started with SIGCHLD ignored still reports its runs', async (t) => {
  // An ignored SIGCHLD is kept through exec (perl sets it, then becomes the helper); the kernel
  // would then reap git itself unless the helper takes the signal back.
  const h = ownHelper(t, ['perl', '-e', '$SIG{CHLD} = "IGNORE"; exec @ARGV or die', SPAWN_HELPER]);
  await h.listening;
  const s = dial(t, h.folder);
  s.write(helperRequest(5, ['receive-pack', '--stateless-rpc', repo], gitEnv())!);
  await word(h.messages, 5, 'pid');
  s.end('0000');
  await word(h.messages, 5, 'code');
  t.match(
    h.messages.find((m) => m['id'] === 5 && 'code' in m),
    { code: 0, signal: null },
  );
});

t.test('a helper out of file descriptors turns connections away without spinning, then serves again', async (t) => {
  // 12 descriptors: 3 of stdio, the listener, the signalfd, the spare, and room for a few more.
  const h = ownHelper(t, ['prlimit', '--nofile=12', SPAWN_HELPER]);
  await h.listening;
  const descriptors = () => readdirSync(`/proc/${h.helper.pid}/fd`).length;
  const idle = descriptors();
  const held: Socket[] = [];
  for (let i = 0; i < 12; i++) {
    const s = connect(`${h.folder}/helper.sock`);
    s.on('error', () => undefined);
    held.push(s);
  }
  t.teardown(() => held.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 300));
  const cpu = () => {
    const f = readFileSync(`/proc/${h.helper.pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, in ticks
  };
  const before = cpu();
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(cpu() - before <= 10, `${cpu() - before} ticks of CPU in a second with connections waiting`);
  held.forEach((s) => s.destroy());
  await until(() => descriptors() <= idle); // it has closed the connections it held
  t.ok(descriptors() <= idle, 'every descriptor given back');
  const s = dial(t, h.folder);
  s.write(helperRequest(3, ['receive-pack', '--stateless-rpc', repo], gitEnv())!);
  await word(h.messages, 3, 'pid'); // git's input only once it runs
  s.end('0000');
  await word(h.messages, 3, 'code');
  t.match(
    h.messages.find((m) => m['id'] === 3 && 'code' in m),
    { code: 0 },
    'the good neighbour after them',
  );
});

t.test('a helper idle after a long run waits its whole idle time again before it ends', async (t) => {
  const h = ownHelper(t);
  await h.listening;
  const s = dial(t, h.folder);
  s.write(helperRequest(6, ['receive-pack', '--stateless-rpc', repo], gitEnv())!);
  await word(h.messages, 6, 'pid');
  await new Promise((r) => setTimeout(r, 2300)); // quiet longer than the idle time
  s.end('0000');
  await word(h.messages, 6, 'code');
  const reported = Date.now();
  await h.exited;
  t.ok(Date.now() - reported >= 1500, `ended ${Date.now() - reported} ms after its last report`);
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
