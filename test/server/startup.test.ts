// A server that cannot start exits at once with status 1 and a clear line, holding no lock and
// having created nothing; a server that starts says so in lines a person can read too.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import t, { type Test } from 'tap';
import { CannotStart } from '../../core/errors.js';
import { startServer } from '../../server/index.js';
import { ccrBin } from '../helpers/bin.js';
import { ccr, hasStack, unwritableFolder } from '../helpers/cli.js';
import { root } from '../helpers/fixtures.js';
import { testGitEnv } from '../helpers/git.js';
import { serveProcess } from '../helpers/process.js';
import { ADMIN_TOKEN } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

/** A port held by another program for the length of the test. */
async function takenPort(t: { teardown(fn: () => void): void }): Promise<number> {
  const holder: Server = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  t.teardown(() => holder.close());
  return (holder.address() as { port: number }).port;
}

/** The JSON log lines of a run's stdout. */
const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('a port in use: exit 1 at once, one line of what and one of what to do, nothing created', async (t) => {
  const port = await takenPort(t);
  const data = `${tempDir(t)}/data`;
  const r = await ccr(['serve', '--data', data, '--port', String(port)], { timeoutMs: 60_000 });
  t.notOk(r.timedOut, 'the process exits by itself (no listener or thread keeps it alive)');
  t.equal(r.status, 1);
  t.equal(
    r.stderr,
    `ccr: port ${port} on 127.0.0.1 is already in use\nhint: stop what listens there (another CCR server, or any other program), or choose another port with --port (or CCR_PORT)\n`,
  );
  t.notOk(hasStack(r.stdout + r.stderr));
  t.notOk(existsSync(data), 'the data folder it would have created is not left behind');
  t.notOk(
    events(r.stdout).some((e) => e['event'] === 'admin-created'),
    'no admin principal was created, no token printed',
  );
  t.match(
    events(r.stdout),
    [{ level: 'error', event: 'start-failed', message: /port .* is already in use/, hint: /--port/ }],
    'machines see the failure in the log',
  );
});

t.test('a port in use on an existing data folder creates no admin and leaves no lock', async (t) => {
  const port = await takenPort(t);
  const data = tempDir(t);
  const r = await ccr(['serve', '--data', data, '--port', String(port)], { timeoutMs: 60_000 });
  t.equal(r.status, 1);
  t.same(readdirSync(data), [], 'nothing: no coordination/, principals.json, gitconfig, access.log or server.lock');
  const again = await serveProcess(['--data', data, '--port', '0'], { CCR_ADMIN_TOKEN: ADMIN_TOKEN });
  t.teardown(() => {
    again.child.kill('SIGTERM');
  });
  t.ok(
    again.lines.some((l) => l['event'] === 'admin-created'),
    'the next start on a free port creates the admin',
  );
});

t.test('an unwritable data folder: exit 1 at once with whose folder it is', async (t) => {
  const ro = unwritableFolder(t);
  const r = await ccr(['serve', '--data', ro.path, '--port', '0'], { ...ro.as, timeoutMs: 60_000 });
  t.notOk(r.timedOut);
  t.equal(r.status, 1);
  t.match(
    r.stderr,
    /^ccr: cannot write to the data folder .*\/data: permission denied\nhint: run ccr serve as the user that owns it, or choose another folder with --data \(or CCR_DATA\)\n$/,
  );
  t.notOk(hasStack(r.stderr));
  t.same(readdirSync(ro.path), [], 'nothing written');
});

t.test('another server on the folder: exit 1 naming its pid; its lock and its service untouched', async (t) => {
  const data = tempDir(t);
  const first = await serveProcess(['--data', data, '--port', '0'], { CCR_ADMIN_TOKEN: ADMIN_TOKEN });
  t.teardown(() => {
    first.child.kill('SIGTERM');
  });
  const r = await ccr(['serve', '--data', data, '--port', '0'], { timeoutMs: 60_000 });
  t.notOk(r.timedOut);
  t.equal(r.status, 1);
  t.equal(
    r.stderr,
    `ccr: another CCR server (pid ${first.child.pid}) is using ${data}\nhint: stop it first (kill ${first.child.pid}), or choose another folder with --data (or CCR_DATA)\n`,
  );
  t.equal(readFileSync(`${data}/server.lock`, 'utf8'), String(first.child.pid), 'the first server keeps its lock');
  t.equal((await send(`${first.url}/healthz`, {})).status, 200, 'and keeps serving');
});

t.test('files it cannot use (TLS, principals, sites.json) stop the start with what to do', async (t) => {
  const data = tempDir(t);
  const tlsMissing = await ccr(
    ['serve', '--data', data, '--port', '0', '--tls-cert', `${data}/none.pem`, '--tls-key', `${data}/none.pem`],
    { timeoutMs: 60_000 },
  );
  t.equal(tlsMissing.status, 1);
  t.match(
    tlsMissing.stderr,
    /^ccr: cannot read the TLS certificate .*none\.pem: no such file\nhint: give --tls-cert a PEM certificate/,
  );
  const tlsBad = await ccr(
    ['serve', '--data', data, '--port', '0', '--tls-cert', `${root}/package.json`, '--tls-key', `${root}/package.json`],
    { timeoutMs: 60_000 },
  );
  t.equal(tlsBad.status, 1);
  t.match(
    tlsBad.stderr,
    /^ccr: the TLS certificate or key cannot be used: .*\nhint: give --tls-cert a PEM certificate and --tls-key its matching PEM private key\n$/,
  );
  t.notOk(existsSync(`${data}/server.lock`), 'the lock is given back');

  writeFileSync(`${data}/sites.json`, '{"peers": [{"name": "b"}]}');
  const sites = await ccr(['serve', '--data', data, '--port', '0'], { timeoutMs: 60_000 });
  t.equal(sites.status, 1);
  t.match(
    sites.stderr,
    /^ccr: .*sites\.json cannot be used: sites\.json peer "b": expected an http\(s\) url\nhint: fix it/,
  );
  t.notOk(existsSync(`${data}/principals.json`), 'checked before any principal is created');
  writeFileSync(`${data}/sites.json`, '{"peers": []}');
  writeFileSync(`${data}/principals.json`, 'not json');
  const principals = await ccr(['serve', '--data', data, '--port', '0'], { timeoutMs: 60_000 });
  t.equal(principals.status, 1);
  t.match(principals.stderr, /^ccr: .*principals\.json cannot be used: .*\nhint: restore it from a backup/);
  t.notOk(existsSync(`${data}/server.lock`));
  t.notOk(hasStack(tlsMissing.stderr + tlsBad.stderr + sites.stderr + principals.stderr));
});

t.test('startServer in process: CannotStart with a hint, the lock given back, nothing left running', async (t) => {
  const port = await takenPort(t);
  const data = tempDir(t);
  const listeners = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
  const before = listeners();
  const e = await startServer({ data, port, adminToken: ADMIN_TOKEN, quiet: true }).catch((x: unknown) => x);
  t.type(e, CannotStart);
  t.equal(listeners(), before, 'no listener left open');
  t.match((e as CannotStart).data, { hint: /--port/ });
  t.notOk(existsSync(`${data}/server.lock`));
  const s = await startServer({ data, port: 0, adminToken: ADMIN_TOKEN, quiet: true });
  t.teardown(() => s.close());
  t.equal((await send(`${s.url}/healthz`, {})).status, 200, 'the same folder starts at once on a free port');
});

/** `ccr serve` on a new folder with the log as text (as at a terminal): the process, its output so far, its end. */
function serveAsText(t: Test) {
  const data = tempDir(t);
  const child = spawn(process.execPath, [ccrBin(), 'serve', '--data', data, '--port', '0'], {
    env: { ...testGitEnv(), CCR_LOG_FORMAT: 'text' },
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const out = { text: '' };
  child.stdout.on('data', (d: Buffer) => (out.text += d.toString()));
  // 'close', not 'exit': the last lines of its output may still be on their way when it exits.
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.on('close', (code, signal) => r([code, signal])),
  );
  return { data, child, out, closed };
}

t.test("at a terminal the start-up reads as sentences, and the first start's token stands apart", async (t) => {
  const { data, child, out, closed } = serveAsText(t);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (/ serves /.test(out.text)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out.text}`)));
  });
  t.match(
    out.text,
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARN {2}created the admin principal; its token is shown this once, keep it safe:\n\n {4}ccr_[A-Za-z0-9_-]{43}\n\n/m,
  );
  t.match(
    out.text,
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d INFO  CCR \\d+\\.\\d+\\.\\d+ serves ${data} on http://127\\.0\\.0\\.1:\\d+ \\(every push judged by the rules; no peers\\)$`,
      'm',
    ),
  );
  t.notMatch(out.text, /^\{/m, 'no JSON for a person');
  child.kill('SIGTERM');
  await closed;
  t.match(out.text, /INFO {2}stopped\n$/);
});

t.test('a SIGTERM while the server is still starting stops it cleanly once it has started', async (t) => {
  const { child, out, closed } = serveAsText(t);
  // Its first line (the data folder created) comes long before it listens: the signal lands mid-start.
  child.stdout.once('data', () => child.kill('SIGTERM'));
  t.same(await closed, [0, null], 'it exits with status 0, not killed by the signal');
  t.match(out.text, / serves /, 'it started');
  t.match(out.text, /INFO {2}stopped\n$/, 'and then stopped as a server stops');
});
