// The compiled `ccr` client (cli/client.c, dist/bin/ccr) and the user's agent (cli/agent.ts):
// commands handed to the agent give the output, exit codes and effects `node ccr.cjs` gives, in
// the client's folder, environment and umask, none of which outlives the command; whatever is not
// a well-behaved agent of this user's (a folder others can enter, a busy one, garbage, one that
// dies mid-command) never gets a command, or never gets one run twice.

import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { MAGIC } from '../../cli/agent.js';
import { ccrBin } from '../helpers/bin.js';
import { ccr, type CcrRun } from '../helpers/cli.js';
import { root } from '../helpers/fixtures.js';
import { gitIn, gitRun, testGitEnv } from '../helpers/git.js';
import { jane } from '../helpers/people.js';
import { eventually } from '../helpers/receiver.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const CLIENT = join(root, 'dist', 'bin', 'ccr');
const HASH = readFileSync(join(root, 'dist', 'bundle', 'main.hash'), 'utf8').slice(0, 16);
const hasCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;

/** Run the compiled client, optionally under a umask; as ccr() gives. */
function client(
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; input?: string; umask?: string; pipe?: string },
): Promise<CcrRun> {
  return new Promise((resolve) => {
    // Without the test runner's NODE_OPTIONS (it adds them to every child): with them the client
    // rightly leaves the command to a Node start of its own.
    const [file, ...rest] = [
      'env',
      '-u',
      'NODE_OPTIONS',
      ...(o.umask ? ['sh', '-c', `umask ${o.umask}; exec "$0" "$@"`] : []),
      // Through a pipe (Node's own stdin for a child is a socket, which /dev/stdin cannot open).
      ...(o.pipe ? ['sh', '-c', `printf %s '${o.pipe}' | exec "$0" "$@"`] : []),
      CLIENT,
      ...args,
    ];
    const child = spawn(file!, rest, { cwd: o.cwd, env: { ...testGitEnv(), ...o.env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, timedOut: false });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}

/** Wait for `ok` (the shared poller), up to `ms`. */
const until = (what: string, ok: () => boolean, ms = 60_000) => eventually(() => Promise.resolve(ok()), ms, what);

/** A user's runtime folder: the agent's socket and log in <it>/ccr; its agents stopped at the end. */
function runtime(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t, 'ccr-rt-');
  const sock = `${dir}/ccr/agent-${HASH}.sock`;
  const log = `${dir}/ccr/agent-${HASH}.log`;
  const lines = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { event: string; pid: number; command?: string; code?: number })
      : [];
  t.teardown(() => {
    for (const l of lines())
      if (l.event === 'start')
        try {
          process.kill(l.pid);
        } catch {
          /* ended */
        }
  });
  const commands = () => lines().filter((l) => l.event === 'command');
  // The socket is there as the agent listens; its start line (its pid) follows a moment later.
  const up = () => existsSync(sock) && lines().some((l) => l.event === 'start');
  return { dir, sock, log, lines, commands, up };
}

/** A server, a record, and jane's working copy of it, made with `node ccr.cjs`. */
async function janeCopy(t: Test) {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const home = tempDir(t);
  const env = {
    CCR_USER: 'jane',
    CCR_TOKEN: cast.jane.token,
    CCR_CONFIG: `${home}/jane.json`,
    XDG_CACHE_HOME: `${home}/cache`,
  };
  for (const [k, v] of [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', jane.role],
    ['care-location', 'Ward 7'],
  ])
    t.equal((await ccr(['config', 'set', k!, v!], { env })).status, 0);
  t.equal((await ccr(['clone', s.url, rec.id, 'wc'], { cwd: home, env })).status, 0);
  const authed = new URL(`${s.url}/coordination/${rec.id}.git`);
  authed.username = 'jane';
  authed.password = cast.jane.token;
  const serverMain = async () =>
    (await gitRun(`${home}/wc`, ['ls-remote', authed.toString(), 'refs/heads/main'])).stdout.split('\t')[0];
  return { s, rec, home, wc: `${home}/wc`, env, serverMain };
}

t.test('the compiled client was built where a C compiler is', async (t) => {
  if (!hasCc) {
    t.notOk(existsSync(CLIENT), 'no C compiler here: no client, and `ccr` is node dist/bundle/ccr.cjs');
    return;
  }
  t.ok(existsSync(CLIENT), `${CLIENT} was built (npm run build runs scripts/hook.mjs)`);
});

t.test(
  'commands handed to the agent: the same output, exit codes and effects as ccr itself',
  { skip: !hasCc && 'no C compiler' },
  async (t) => {
    const { rec, home, wc, env: janeEnv, serverMain } = await janeCopy(t);
    const rt = runtime(t);
    const env = { ...janeEnv, XDG_RUNTIME_DIR: rt.dir };
    const thread = rec.thread!;

    const first = await client(['message', 'add', thread, '-m', 'Bloods sent.', '--push'], { cwd: wc, env });
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, /^added message [0-9a-f-]{36} to thread \S+\npushed [0-9a-f]{12}\n/);
    t.same(rt.commands(), [], 'no agent yet: Node ran it, and started one');
    await until('the agent', rt.up);
    t.equal(statSync(`${rt.dir}/ccr`).mode & 0o777, 0o700, "its folder is the user's alone");
    const agentPid = rt.lines().find((l) => l.event === 'start')!.pid;
    t.notMatch(
      readFileSync(`/proc/${agentPid}/environ`, 'utf8'),
      janeEnv.CCR_TOKEN,
      'the agent was not given the token',
    );

    const second = await client(['message', 'add', thread, '-m', 'Chest clear.', '--push'], { cwd: wc, env });
    t.equal(second.status, 0, second.stderr);
    t.match(
      second.stdout,
      /^added message [0-9a-f-]{36} to thread \S+\npushed [0-9a-f]{12}\nthe server's signed receipt/,
    );
    t.same(
      rt.commands().map((c) => [c.command, c.code]),
      [['message add', 0]],
      'the agent ran it',
    );
    t.equal(
      await serverMain(),
      (await gitRun(wc, ['rev-parse', 'HEAD'])).stdout.trim(),
      "the server's main is the new commit",
    );
    t.match(
      readFileSync(`${wc}/communications/${thread}/messages.md`, 'utf8'),
      /Chest clear\./,
      'the working copy was brought along',
    );

    // Output and exit codes as ccr's own, a failure's words included.
    for (const args of [
      ['thread', 'show', thread],
      ['thread', 'show', 'no-such-thread'],
      ['status', 'show'],
      ['thread', 'list', '--json'],
    ]) {
      const direct = await ccr(args, { cwd: wc, env: janeEnv });
      const handed = await client(args, { cwd: wc, env });
      t.same(
        [handed.status, handed.stdout, handed.stderr],
        [direct.status, direct.stdout, direct.stderr],
        args.join(' '),
      );
    }
    t.equal(rt.commands().length, 5, 'all four ran in the agent');

    // The environment is the client's, each time: a wrong token is refused, then the right one works.
    const wrong = await client(['message', 'add', thread, '-m', 'With a stale token.', '--push'], {
      cwd: wc,
      env: { ...env, CCR_TOKEN: 'ccr_not-a-token' },
    });
    t.equal(wrong.status, 1);
    t.match(wrong.stderr, /refused the credentials of jane; nothing was pushed/);
    const right = await client(['message', 'add', thread, '-m', 'Pushed with the right token.', '--push'], {
      cwd: wc,
      env,
    });
    t.equal(right.status, 0, right.stderr);
    t.equal(await serverMain(), (await gitRun(wc, ['rev-parse', 'HEAD'])).stdout.trim(), 'both commits landed');
    const noToken = { ...env, CCR_TOKEN: undefined, CCR_USER: undefined };
    const anonymous = await client(['message', 'add', thread, '-m', 'No token at all.', '--push'], {
      cwd: wc,
      env: noToken,
    });
    t.equal(anonymous.status, 1, "the earlier command's token is not kept: no prompt, no credentials");
    t.notMatch(anonymous.stdout, /^pushed/m);
    t.match(anonymous.stderr, /no credentials for the server/, 'git asks no one from the agent: it says what to do');

    // The folder and the umask are the client's.
    const other = await janeCopy(t);
    const here = await client(['thread', 'list'], { cwd: other.wc, env: { ...other.env, XDG_RUNTIME_DIR: rt.dir } });
    t.match(here.stdout, other.rec.thread!, "the other working copy's thread");
    t.notMatch(here.stdout, thread);
    // Under the client's umask, each time: the agent's own, and the earlier command's, do not stay.
    for (const [umask, mode] of [
      ['077', 0o600],
      ['022', 0o644],
    ] as const) {
      const written = await client(['message', 'add', other.rec.thread!, '-m', `Written under umask ${umask}.`], {
        cwd: other.wc,
        env: { ...other.env, XDG_RUNTIME_DIR: rt.dir },
        umask,
      });
      t.equal(written.status, 0, written.stderr);
      t.equal(
        statSync(`${other.wc}/communications/${other.rec.thread!}/messages.md`).mode & 0o777,
        mode,
        `umask ${umask}`,
      );
    }
    t.equal(rt.commands().length, 11);

    // The log names the command and its action, never an argument, in whatever order they come.
    const optionsFirst = await client(['message', '-mA-BODY-NOT-TO-LOG', 'add', thread], { cwd: wc, env });
    t.equal(optionsFirst.status, 0, optionsFirst.stderr);
    t.equal(rt.commands().at(-1)!.command, 'message add');
    t.notMatch(readFileSync(rt.log, 'utf8'), /BODY-NOT-TO-LOG/);
    // A --file the agent reads as the client would: a regular file, from the client's folder.
    writeFileSync(`${wc}/note.txt`, 'Read from a file.');
    const fromFile = await client(['message', 'add', thread, '--file', 'note.txt'], { cwd: wc, env });
    t.equal(fromFile.status, 0, fromFile.stderr);
    t.equal(rt.commands().length, 13, 'run in the agent');
    rmSync(`${wc}/note.txt`);

    // What needs stdin or the terminal is Node's to run: the body piped in.
    const piped = await client(['message', 'add', thread, '--push'], { cwd: wc, env, input: 'Read from stdin.' });
    t.equal(piped.status, 0, piped.stderr);
    t.equal(rt.commands().length, 13, 'not run in the agent');
    t.match(readFileSync(`${wc}/communications/${thread}/messages.md`, 'utf8'), /Read from stdin\./);
    // …and --file naming the client's own stdin (or any /dev, /proc path, or a pipe).
    const devStdin = await client(['message', 'add', thread, '--file', '/dev/stdin'], {
      cwd: wc,
      env,
      pipe: 'Via /dev/stdin.',
    });
    t.equal(devStdin.status, 0, devStdin.stderr);
    t.equal(rt.commands().length, 13, 'not run in the agent');
    t.match(readFileSync(`${wc}/communications/${thread}/messages.md`, 'utf8'), /Via \/dev\/stdin\./);
    t.equal((await client(['--version'], { cwd: home, env })).stdout.trim(), (await ccr(['--version'])).stdout.trim());

    // The agent is free again as soon as a command's exit code is sent: a client that has it but
    // has not closed its end yet (a loaded machine, or a script's next command already on its way)
    // does not make the next command find the agent busy and run in Node.
    const lingering = await rawClient(rt.sock, ['thread', 'list'], wc, { ...testGitEnv(), ...env });
    t.equal(lingering.code, '0', 'the lingering client got its exit code');
    const next = await client(['thread', 'list'], { cwd: wc, env });
    lingering.socket.destroy();
    t.equal(next.status, 0, next.stderr);
    t.equal(rt.commands().length, 15, 'both ran in the agent');
    t.notOk(
      rt.lines().some((l) => l.event === 'busy'),
      'the agent never answered busy',
    );
  },
);

/**
 * A client speaking the agent's protocol by hand: it sends one request and reads frames up to the
 * exit code, then leaves its end of the socket open (the caller closes it).
 */
function rawClient(
  sock: string,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: string; socket: Socket }> {
  const strings = [MAGIC, '22', cwd, String(argv.length), ...argv];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) strings.push(`${k}=${v}`);
  const body = Buffer.from(strings.map((x) => `${x}\0`).join(''));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return new Promise((resolve, reject) => {
    // Half open: its end stays open after the agent's, until the caller closes it.
    const socket = createConnection({ path: sock, allowHalfOpen: true }, () =>
      socket.write(Buffer.concat([head, body])),
    );
    let got = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the agent closed before an exit code')));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      while (got.length >= 5 && got.length >= 5 + got.readUInt32BE(1)) {
        const [kind, size] = [String.fromCharCode(got[0]!), got.readUInt32BE(1)];
        const payload = got.subarray(5, 5 + size).toString();
        got = got.subarray(5 + size);
        if (kind === 'x') return resolve({ code: payload, socket });
        if (kind === 'r') return reject(new Error('the agent refused the request'));
      }
    });
  });
}

t.test(
  'a socket folder others can enter, a fake agent, garbage, a busy agent: no command misplaced',
  { skip: !hasCc && 'no C compiler' },
  async (t) => {
    const { rec, wc, env: janeEnv, serverMain } = await janeCopy(t);
    const thread = rec.thread!;

    // A folder open to others: the client does not connect there, and no agent serves from it.
    const open = runtime(t);
    mkdirSync(`${open.dir}/ccr`);
    chmodSync(`${open.dir}/ccr`, 0o755);
    const fake = createServer((s) => s.end('xxxxx'));
    await new Promise<void>((r) => fake.listen(open.sock, r));
    t.teardown(() => fake.close());
    const viaOpen = await client(['message', 'add', thread, '-m', 'Not through an open folder.'], {
      cwd: wc,
      env: { ...janeEnv, XDG_RUNTIME_DIR: open.dir },
    });
    t.equal(viaOpen.status, 0, viaOpen.stderr);
    t.match(viaOpen.stdout, /^added message/, 'Node ran it; the socket there was not spoken to');
    t.same(readdirSync(`${open.dir}/ccr`), [`agent-${HASH}.sock`], 'and no agent was started for it');
    // An agent told to serve from such a folder (another user's, or one others can enter) does not.
    const open2 = runtime(t);
    mkdirSync(`${open2.dir}/ccr`, { mode: 0o755 });
    chmodSync(`${open2.dir}/ccr`, 0o755);
    const refusing = spawnSync(process.execPath, [ccrBin(), '__agent'], {
      env: { ...process.env, XDG_RUNTIME_DIR: open2.dir, XDG_CACHE_HOME: `${open2.dir}/cache` },
      timeout: 60_000,
    });
    t.equal(refusing.status, 0, 'it ends at once');
    t.same(readdirSync(`${open2.dir}/ccr`), [], 'without a socket or a log there');

    // A fake agent in a private folder that closes before saying it runs the command: Node runs it.
    const rt = runtime(t);
    const env = { ...janeEnv, XDG_RUNTIME_DIR: rt.dir };
    mkdirSync(`${rt.dir}/ccr`, { mode: 0o700 });
    let mode: 'close' | 'started' = 'close';
    const impostor = createServer((s) => {
      s.once('data', () => (mode === 'close' ? s.destroy() : s.end(Buffer.from([0x61, 0, 0, 0, 0]))));
    });
    await new Promise<void>((r) => impostor.listen(rt.sock, r));
    const before = await serverMain();
    const closed = await client(['message', 'add', thread, '-m', 'Refused before it ran.', '--push'], { cwd: wc, env });
    t.equal(closed.status, 0, closed.stderr);
    t.not(await serverMain(), before, 'run by Node instead, and pushed');
    // …and one that dies after saying it runs it: the client says so and does not run it again.
    mode = 'started';
    const head = (await gitRun(wc, ['rev-parse', 'HEAD'])).stdout.trim();
    const died = await client(['message', 'add', thread, '-m', 'Never run twice.', '--push'], { cwd: wc, env });
    t.equal(died.status, 1);
    t.match(died.stderr, /the agent stopped while running the command; check .* before running it again/);
    t.equal((await gitRun(wc, ['rev-parse', 'HEAD'])).stdout.trim(), head, 'nothing was run by the client itself');
    await new Promise<void>((r) => impostor.close(() => r()));
    rmSync(rt.sock, { force: true });

    // The real agent, then garbage and a silent client: it stays up, busy only for the silent one's time.
    t.equal((await client(['thread', 'list'], { cwd: wc, env })).status, 0);
    await until('the agent', rt.up);
    for (const junk of [
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]),
      Buffer.from([0, 0, 0, 3, 0x61, 0, 0]),
    ]) {
      await new Promise<void>((r) => {
        const s = createConnection(rt.sock, () => s.end(junk));
        s.on('close', () => r());
        s.on('error', () => r());
        s.resume();
      });
    }
    const silent = createConnection(rt.sock);
    await new Promise((r) => silent.once('connect', r));
    const whileBusy = await client(['thread', 'list'], { cwd: wc, env });
    t.equal(whileBusy.status, 0, 'run by Node while the agent is busy');
    t.match(whileBusy.stdout, thread);
    t.ok(rt.lines().some((l) => l.event === 'busy'));
    silent.destroy();
    await until('the agent free again', () => rt.lines().filter((l) => l.event === 'refused').length >= 4);
    const after = await client(['thread', 'list'], { cwd: wc, env });
    t.equal(after.status, 0);
    t.equal(rt.commands().length, 1, 'the agent serves again after garbage');
    t.ok(rt.lines().filter((l) => l.event === 'start').length === 1, 'one agent all along');

    // A socket removed (the folder cleaned): the agent ends.
    unlinkSync(rt.sock);
    await until('the agent to end', () => rt.lines().some((l) => l.event === 'stop'), 15_000);
    t.pass('ended once its socket was gone');
  },
);

t.test(
  'an idle agent ends and removes its socket; a replaced one leaves the new socket be',
  { skip: !hasCc && 'no C compiler' },
  async (t) => {
    const { wc, env: janeEnv } = await janeCopy(t);
    const rt = runtime(t);
    const env = { ...janeEnv, XDG_RUNTIME_DIR: rt.dir, CCR_AGENT_IDLE_MS: '1500' };
    t.equal((await client(['thread', 'list'], { cwd: wc, env })).status, 0);
    await until('the agent', rt.up);
    await until('the agent to end', () => rt.lines().some((l) => l.event === 'stop'), 30_000);
    t.notOk(existsSync(rt.sock), 'its socket removed');

    const env2 = { ...env, CCR_AGENT_IDLE_MS: '600000' };
    t.equal((await client(['thread', 'list'], { cwd: wc, env: env2 })).status, 0);
    await until(
      'a second agent',
      () => rt.lines().filter((l) => l.event === 'start').length === 2 && existsSync(rt.sock),
    );
    renameSync(rt.sock, `${rt.sock}.old`);
    const other = createServer((c) => c.destroy());
    await new Promise<void>((r) => other.listen(rt.sock, r));
    t.teardown(() => other.close());
    await until('the second agent to end', () => rt.lines().filter((l) => l.event === 'stop').length === 2, 15_000);
    t.match(rt.lines().at(-1), { event: 'stop', reason: 'socket gone' });
    t.ok(existsSync(rt.sock), "the socket now there is not the agent's to remove");
  },
);

t.test(
  'a client killed during a command: its git runs are stopped, and the agent is free again',
  { skip: !hasCc && 'no C compiler' },
  async (t) => {
    const { rec, wc, env: janeEnv } = await janeCopy(t);
    const rt = runtime(t);
    const env = { ...janeEnv, XDG_RUNTIME_DIR: rt.dir };
    t.equal((await client(['thread', 'list'], { cwd: wc, env })).status, 0);
    await until('the agent', rt.up);
    // A server that takes the connection and never answers: the push waits until stopped.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    t.teardown(() => silent.close());
    gitIn(wc, ['remote', 'set-url', 'origin', `http://127.0.0.1:${(silent.address() as AddressInfo).port}/never.git`]);
    const child = spawn(
      'env',
      ['-u', 'NODE_OPTIONS', CLIENT, 'message', 'add', rec.thread!, '-m', 'Pushed to nowhere.', '--push'],
      {
        cwd: wc,
        env: { ...testGitEnv(), ...env },
        stdio: 'ignore',
      },
    );
    await new Promise((r) => silent.once('connection', r));
    child.kill('SIGTERM');
    await until('the command to end', () => rt.commands().length === 1, 20_000);
    t.not(rt.commands()[0]!.code, 0, 'it failed: its push was stopped');
    const next = await client(['thread', 'list'], { cwd: wc, env });
    t.equal(next.status, 0);
    t.equal(rt.commands().length, 2, 'the next command ran in the agent');
  },
);

t.test(
  "a socket of another user's process in the user's folder: the client never talks to it",
  {
    skip: (!hasCc && 'no C compiler') || (process.getuid?.() !== 0 && 'needs root to run a process as another user'),
  },
  async (t) => {
    const { rec, wc, env: janeEnv } = await janeCopy(t);
    const rt = runtime(t);
    const env = { ...janeEnv, XDG_RUNTIME_DIR: rt.dir };
    // nobody listens in the folder while it is theirs; then it is made the user's again (as a swap
    // between the client's look at the folder and its connect would leave it).
    mkdirSync(`${rt.dir}/ccr`, { mode: 0o700 });
    chownSync(`${rt.dir}/ccr`, 65534, 65534);
    chmodSync(rt.dir, 0o755);
    // It answers as an agent would: ran it, "FAKE", exit 0.
    const frames =
      'Buffer.from("61000000006f00000005", "hex"), Buffer.from("FAKE\\n"), Buffer.from("780000000130", "hex")';
    const impostor = spawn(
      process.execPath,
      [
        '-e',
        `require('net').createServer((s) => s.once('data', () => s.end(Buffer.concat([${frames}])))).listen(process.argv[1])`,
        rt.sock,
      ],
      { uid: 65534, gid: 65534, stdio: 'ignore', env: { PATH: process.env['PATH'] } },
    );
    t.teardown(() => impostor.kill());
    await until("nobody's socket", () => existsSync(rt.sock));
    chownSync(`${rt.dir}/ccr`, process.getuid!(), process.getgid!());
    const run = await client(['thread', 'list'], { cwd: wc, env });
    t.equal(run.status, 0, run.stderr);
    t.notMatch(run.stdout, /FAKE/, "not the impostor's answer");
    t.match(run.stdout, rec.thread!, 'Node ran it');
  },
);
