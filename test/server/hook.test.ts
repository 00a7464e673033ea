import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { chosenHook, COMPILED_HOOK, installHook, SCRIPT_HOOK } from '../../git/hooks.js';
import { HookEndpoint, parseHookBody } from '../../server/hookEndpoint.js';
import { silentLogger } from '../../server/log.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

/** The project's root (this file is dist/test/server/hook.test.js). */
const PROJECT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The two clients: the bash script, and the C client the build compiles (scripts/hook.mjs). */
const HOOKS = { script: SCRIPT_HOOK, compiled: COMPILED_HOOK } as const;
type Variant = keyof typeof HOOKS;
const VARIANTS = Object.keys(HOOKS) as Variant[];

/** Run a pre-receive client as receive-pack would, with ref lines on stdin. */
function hook(
  variant: Variant,
  env: NodeJS.ProcessEnv,
  input = `${'a'.repeat(40)} ${'b'.repeat(40)} refs/heads/main\n`,
): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(HOOKS[variant], [], { env: { PATH: process.env['PATH'], ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
    child.stdin.on('error', () => undefined); // a hook that refuses at once does not read its input
    child.stdin.end(input);
  });
}

const push = {
  requestId: 'req123',
  principal: { kind: 'admin' as const, name: 'admin' },
  recordId: '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as never,
  gitdir: '/nowhere',
  ended: Promise.resolve(),
  left: () => false,
};

for (const variant of VARIANTS)
  t.test(
    `the ${variant} hook fails closed: no server, a wrong token, a slow or broken validator all refuse`,
    async (t) => {
      const dead = await hook(variant, { CCR_HOOK_PORT: '1', CCR_HOOK_TOKEN: 'f'.repeat(64) });
      t.equal(dead.status, 1);
      t.match(dead.stderr, /the validator is not reachable; the push is refused/);
      t.match((await hook(variant, {})).stderr, /served by CCR only through its server/, 'no configuration at all');

      let mode: 'accept' | 'refuse' | 'slow' | 'throw' = 'accept';
      const endpoint = new HookEndpoint(async (_ctx, call) => {
        if (mode === 'slow') await new Promise((r) => setTimeout(r, 3000));
        if (mode === 'throw') throw new Error('secret internal detail');
        return {
          accept: mode === 'accept',
          lines: [`saw ${call.updates.length} update(s) quarantine=${call.env.GIT_QUARANTINE_PATH ?? '-'}`],
        };
      }, silentLogger);
      await endpoint.listen();
      t.teardown(() => endpoint.stop());
      const token = endpoint.open(push);
      const env = {
        CCR_HOOK_PORT: String(endpoint.port),
        CCR_HOOK_TOKEN: token,
        GIT_QUARANTINE_PATH: '/q/tmp_objdir-incoming-x',
      };
      const ok = await hook(variant, env);
      t.equal(ok.status, 0, 'an accepted push');
      t.match(
        ok.stderr,
        'saw 1 update(s) quarantine=/q/tmp_objdir-incoming-x',
        'the hook forwards the ref lines and the quarantine',
      );
      mode = 'refuse';
      t.equal((await hook(variant, env)).status, 1, 'a refused push');
      const wrong = await hook(variant, { ...env, CCR_HOOK_TOKEN: 'e'.repeat(64) });
      t.equal(wrong.status, 1, 'a token the server did not give out is refused');
      t.match(wrong.stderr, /answered HTTP\/1\.1 403/);
      mode = 'throw';
      const broken = await hook(variant, env);
      t.equal(broken.status, 1);
      t.match(
        broken.stderr,
        /internal error while judging the push \(request req123\)/,
        'an internal error shows only the request id',
      );
      t.notMatch(broken.stderr, /secret internal detail/);
      mode = 'slow';
      const slow = await hook(variant, { ...env, CCR_HOOK_TIMEOUT: '1' });
      t.equal(slow.status, 1);
      t.match(slow.stderr, /did not answer in time/);
      mode = 'accept';
      t.equal((await hook(variant, env)).status, 0, 'the token is good while its push runs');
      endpoint.close(token);
      const closed = await hook(variant, env);
      t.equal(closed.status, 1, 'a token is good only while its push runs');
      t.match(closed.stderr, /answered HTTP\/1\.1 403/);
    },
  );

for (const variant of VARIANTS)
  t.test(`the ${variant} hook reads the whole answer at once: every line printed, a cut answer refused`, async (t) => {
    const lines = Array.from({ length: 60 }, (_, i) => `ccr: line ${i} of a long refusal ${'x'.repeat(60)}`);
    const endpoint = new HookEndpoint(async () => ({ accept: false, lines }), silentLogger);
    await endpoint.listen();
    t.teardown(() => endpoint.stop());
    const long = await hook(variant, { CCR_HOOK_PORT: String(endpoint.port), CCR_HOOK_TOKEN: endpoint.open(push) });
    t.equal(long.status, 1, 'refused');
    t.equal(long.stderr, lines.map((l) => `${l}\n`).join(''), 'every line, as the server sent it');

    // A validator that stops in the middle of its headers: refused, never taken for an answer.
    const cut = createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/pl'));
    });
    await new Promise<void>((r) => cut.listen(0, '127.0.0.1', r));
    t.teardown(() => cut.close());
    const port = (cut.address() as AddressInfo).port;
    const short = await hook(variant, { CCR_HOOK_PORT: String(port), CCR_HOOK_TOKEN: 'f'.repeat(64) });
    t.equal(short.status, 1);
    t.match(short.stderr, /the validator's answer was cut short; the push is refused/);
  });

t.test('the build compiled the C client where a C compiler is, and a server installs it', async (t) => {
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) {
    t.equal(chosenHook().kind, 'script', 'no C compiler here: servers install the bash script');
    return;
  }
  t.ok(existsSync(COMPILED_HOOK), `${COMPILED_HOOK} was built (npm run build runs scripts/hook.mjs)`);
  t.same(chosenHook(), { file: COMPILED_HOOK, kind: 'compiled' });
});

t.test('scripts/hook.mjs: a failed compile leaves no client to take, a stale binary is never chosen', async (t) => {
  // A project of its own: the script, the two clients' sources, and what the build makes of them.
  const root = tempDir(t);
  mkdirSync(`${root}/scripts`);
  mkdirSync(`${root}/hooks`);
  copyFileSync(join(PROJECT, 'scripts', 'hook.mjs'), `${root}/scripts/hook.mjs`);
  copyFileSync(join(PROJECT, 'hooks', 'pre-receive.c'), `${root}/hooks/pre-receive.c`);
  copyFileSync(SCRIPT_HOOK, `${root}/hooks/pre-receive`);
  const build = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [`${root}/scripts/hook.mjs`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const script = { file: `${root}/hooks/pre-receive`, kind: 'script' };
  const compiled = { file: `${root}/dist/hooks/pre-receive`, kind: 'compiled' };

  const failed = build({ CC: 'false' });
  t.equal(failed.status, 0, 'the build goes on without the C client');
  t.match(failed.stderr, /the C client was not compiled \(false: exit 1\); servers will install the bash hook/);
  t.same(chosenHook(root), script, 'no compiler: the script');
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) return;

  t.equal(build({ CC: 'ccache-is-not-here cc' }).status, 0);
  t.same(chosenHook(root), script, 'a compiler command that is not there: the script');
  t.equal(build().status, 0);
  t.same(chosenHook(root), compiled, 'compiled from the source as it is: the compiled client');
  writeFileSync(`${root}/hooks/pre-receive.c`, `${readFileSync(`${root}/hooks/pre-receive.c`, 'utf8')}\n/* newer */\n`);
  t.same(chosenHook(root), script, 'the source changed since: the old binary is not taken');
  t.equal(build().status, 0);
  t.same(chosenHook(root), compiled, 'built again');
  t.equal(build({ CC: 'false' }).status, 0);
  t.ok(existsSync(compiled.file), 'a failed compile removes no file a server could run');
  t.same(chosenHook(root), script, 'but without its hash the old binary is not taken');
  t.equal(build().status, 0);
  process.env['CCR_HOOK'] = 'script';
  t.teardown(() => delete process.env['CCR_HOOK']);
  t.same(chosenHook(root), script, 'CCR_HOOK=script chooses the script');
});

t.test('a server runs its own copy of the hook: a rebuild or a removed dist/ cannot take it away', async (t) => {
  const data = tempDir(t);
  const { dir, kind } = await installHook(data);
  t.equal(dir, `${data}/ccr-hooks`);
  t.equal(kind, chosenHook().kind);
  const copy = statSync(`${dir}/pre-receive`);
  t.equal(copy.mode & 0o777, 0o755, 'executable');
  t.not(copy.ino, statSync(chosenHook().file).ino, 'a copy, not a link to the build');
  t.same(readFileSync(`${dir}/pre-receive`), readFileSync(chosenHook().file), 'byte for byte');
  t.same(readdirSync(dir), ['pre-receive'], 'nothing half-written left beside it');
  writeFileSync(`${dir}/pre-receive`, 'stale');
  await installHook(data);
  t.same(readFileSync(`${dir}/pre-receive`), readFileSync(chosenHook().file), 'put back whole at the next start');
  writeFileSync(`${dir}/post-receive`, '#!/bin/sh\n');
  await t.rejects(installHook(data), /holds post-receive, which git would run as hooks too: move them away/);
  t.ok(existsSync(`${dir}/post-receive`), "refused, never deleted: not CCR's file");
});

t.test('a data folder where programs cannot run (noexec) stops the start: git would skip the hook', async (t) => {
  // A mount namespace of its own (a user namespace: no root needed where the kernel allows it).
  const dir = tempDir(t);
  const hooksModule = join(PROJECT, 'dist', 'git', 'hooks.js');
  const probe = spawnSync('unshare', ['-r', '-m', 'true']);
  if (probe.status !== 0) {
    t.comment(`unshare -r -m is not allowed here (${probe.stderr?.toString().trim()}); the noexec case is not played`);
    return;
  }
  const install = (noexec: boolean) =>
    spawnSync(
      'unshare',
      [
        '-r',
        '-m',
        'sh',
        '-c',
        `mount -t tmpfs -o ${noexec ? 'noexec' : 'exec'} none "$1" && exec "$2" --input-type=module -e "$3" "$1"`,
        'sh',
        dir,
        process.execPath,
        `import { installHook } from ${JSON.stringify(hooksModule)};
         installHook(process.argv[1]).then(() => console.log('installed'), (e) => { console.log(e.message); process.exit(3); });`,
      ],
      { encoding: 'utf8' },
    );
  const refused = install(true);
  t.equal(refused.status, 3, 'installHook refuses');
  t.match(refused.stdout, /pre-receive does not run there .*git would skip it and take pushes unjudged/);
  const good = install(false);
  t.equal(good.status, 0, `the same on a file system that runs programs: ${good.stderr}`);
  t.match(good.stdout, /installed/);
});

// Every shape of answer a validator (or anything else on that port) could give, to both clients:
// the same exit and the same lines. An accept is only "accept" alone on the body's first line.
const ANSWERS: [string, string, 0 | 1][] = [
  ['an accept with lines', 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\naccept\nccr: receipt\nline two\n', 0],
  ['an accept without a newline', 'HTTP/1.1 200 OK\r\n\r\naccept', 0],
  ['a refusal', 'HTTP/1.0 200 OK\r\n\r\nrefuse\nccr: why\n', 1],
  ['a longer word', 'HTTP/1.0 200 OK\r\n\r\naccepted\n', 1],
  ['a space before it', 'HTTP/1.0 200 OK\r\n\r\n accept\n', 1],
  ['a CR after it', 'HTTP/1.0 200 OK\r\n\r\naccept\r\n', 1],
  ['an empty first line', 'HTTP/1.0 200 OK\r\n\r\n\naccept\n', 1],
  ['an empty body', 'HTTP/1.0 200 OK\r\n\r\n', 1],
  ['an accept after a second empty line', 'HTTP/1.0 200 OK\r\n\r\nrefuse\r\n\r\naccept\n', 1],
  ['an accept in the headers', 'HTTP/1.0 200 OK\r\nX: \r\n\r\naccept\r\n\r\nrefuse\n', 1],
  ['another status', 'HTTP/1.0 500 Internal\r\n\r\naccept\n', 1],
  ['a status of 2000', 'HTTP/1.0 2000 OK\r\n\r\naccept\n', 1],
  ['a status without its reason', 'HTTP/1.0 200\r\n\r\naccept\n', 1],
  ['a status cut short', 'HTTP/1.0 20', 1],
  ['no empty line', 'HTTP/1.0 200 OK\r\nX: accept\naccept\n', 1],
  ['not HTTP', 'accept\n', 1],
  ['nothing', '', 1],
  ['an accept followed by a megabyte', `HTTP/1.0 200 OK\r\n\r\naccept\n${'x'.repeat(1 << 20)}`, 1],
];

t.test('the two clients give the same verdict and lines for every answer', async (t) => {
  if (!existsSync(HOOKS.compiled)) {
    t.comment('no compiled client on this machine (no C compiler): the previous test checked why');
    return;
  }
  let answer = '';
  const server = createServer((socket) => {
    socket.once('data', () => socket.end(answer));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const env = { CCR_HOOK_PORT: String((server.address() as AddressInfo).port), CCR_HOOK_TOKEN: 'f'.repeat(64) };
  for (const [what, text, status] of ANSWERS) {
    answer = text;
    const [script, compiled] = [await hook('script', env), await hook('compiled', env)];
    t.equal(script.status, status, `${what}: the script`);
    t.same(compiled, script, `${what}: the compiled client as the script`);
  }
});

t.test('the hook endpoint refuses anyone who merely knows the port', async (t) => {
  const endpoint = new HookEndpoint(async () => ({ accept: true, lines: [] }), silentLogger);
  await endpoint.listen();
  t.teardown(() => endpoint.stop());
  const url = `http://127.0.0.1:${endpoint.port}/hook`;
  t.equal((await send(url, { method: 'POST', body: 'x' })).status, 403);
  t.equal((await send(url, { method: 'POST', headers: { 'X-CCR-Token': 'a'.repeat(64) }, body: 'x' })).status, 403);
  t.equal((await send(`http://127.0.0.1:${endpoint.port}/other`, { method: 'GET' })).status, 403);
});

t.test('hook bodies are parsed strictly', async (t) => {
  t.same(
    parseHookBody(`quarantine /q\nobjects /o\nalternates /a\n\n${'1'.repeat(40)} ${'2'.repeat(40)} refs/heads/main\n`),
    {
      env: { GIT_QUARANTINE_PATH: '/q', GIT_OBJECT_DIRECTORY: '/o', GIT_ALTERNATE_OBJECT_DIRECTORIES: '/a' },
      updates: [{ old: '1'.repeat(40), new: '2'.repeat(40), ref: 'refs/heads/main' }],
    },
  );
  t.equal(parseHookBody('evil /x\n\n'), null, 'an unknown variable');
  t.equal(parseHookBody(`quarantine /q\n\nnot a ref line\n`), null, 'a malformed ref line');
  t.equal(parseHookBody(`\n\n${'1'.repeat(40)} ${'2'.repeat(40)} refs/heads/main extra\n`), null);
  const line = `${'1'.repeat(40)} ${'2'.repeat(40)} refs/heads/main`;
  // A ref name git read with a newline in it gives the hook an empty line after main's: never skipped.
  t.equal(parseHookBody(`quarantine /q\n\n${line}\n\n`), null, 'an empty ref line');
  t.equal(parseHookBody(`quarantine /q\n\n${line}\n\n${line}\n`), null, 'an empty line between ref lines');
  t.equal(parseHookBody(`quarantine /q\n\n${line}\t\n`), null, 'a control character in a ref name');
  t.same(parseHookBody(`\n\n${line}\n${line}\n`)?.updates.length, 2, 'two lines, none dropped');
});
