// The two git servers the comparisons of issue 17 run side by side: `ccr serve` as a user runs it
// (the bundled command, a process of its own) and nginx + fcgiwrap + `git http-backend`, which
// validates nothing. nginx and fcgiwrap are installed with apt-get where missing; everything started
// is killed when the process exits.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { TOKEN, apiRecord, gitCli } from './fixtures.js';
import { envWords } from './util.js';

const children: { child: ChildProcess; group: boolean }[] = [];
/**
 * Kill a child and what it started: fcgiwrap's pre-forked workers and nginx's workers outlive a
 * killed parent, so those run as process groups of their own (detached) and the group is killed.
 */
function end({ child, group }: { child: ChildProcess; group: boolean }, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    /* already gone */
  }
}
process.on('exit', () => {
  for (const c of children) end(c, 'SIGKILL');
});

/** Stop every server started here. */
export function stopServers(): void {
  for (const c of children) end(c, 'SIGTERM');
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Wait until `url` answers, or fail after a minute. */
async function answers(url: string): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 60_000; await new Promise((r) => setTimeout(r, 100))) {
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  throw new Error(`${url} did not answer within a minute`);
}

function ensureInstalled(): void {
  const missing = ['nginx', 'fcgiwrap'].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c} || test -x /usr/sbin/${c}`]).status !== 0,
  );
  if (missing.length === 0) return;
  process.stderr.write(`  installing ${missing.join(' and ')} (apt-get)\n`);
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: 'ignore' }).status === 0;
  if (!apt(['update', '-q']) || !apt(['install', '-y', '-q', ...missing]))
    throw new Error(
      `cannot install ${missing.join(', ')}: install them by hand (Debian: apt-get install nginx fcgiwrap)`,
    );
}

const NGINX_PASSWORD = 'bench-only';

/**
 * nginx + fcgiwrap + git http-backend on loopback, serving the bare repositories of `root`; at `url`
 * to anyone, and at `authUrl` behind HTTP basic authentication (user `bench`, password in the URL),
 * as an operator would put it on a network: git's client then asks once without credentials and
 * again with them after the 401, as it does with CCR.
 */
export async function startNginx(dir: string, root: string): Promise<{ url: string; authUrl: string; pids: number[] }> {
  ensureInstalled();
  const [port, authPort] = [await freePort(), await freePort()];
  const run = `${dir}/nginx`;
  for (const d of ['', '/body', '/fastcgi', '/proxy', '/uwsgi', '/scgi', '/logs'])
    mkdirSync(`${run}${d}`, { recursive: true });
  const fcgi = spawn('/usr/sbin/fcgiwrap', ['-c', '4', '-s', `unix:${run}/fcgi.sock`], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
  });
  children.push({ child: fcgi, group: true });
  writeFileSync(`${run}/users`, `bench:{PLAIN}${NGINX_PASSWORD}\n`);
  writeFileSync(
    `${run}/git.conf`,
    `include /etc/nginx/fastcgi_params;
fastcgi_pass unix:${run}/fcgi.sock;
fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
fastcgi_param GIT_PROJECT_ROOT ${root};
fastcgi_param GIT_HTTP_EXPORT_ALL "";
fastcgi_param GIT_CONFIG_NOSYSTEM 1;
fastcgi_param PATH_INFO $uri;
fastcgi_request_buffering off;
fastcgi_buffering off;
`,
  );
  writeFileSync(
    `${run}/nginx.conf`,
    `user root;
worker_processes 2;
daemon off;
pid ${run}/nginx.pid;
error_log ${run}/logs/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${run}/body; fastcgi_temp_path ${run}/fastcgi; proxy_temp_path ${run}/proxy;
  uwsgi_temp_path ${run}/uwsgi; scgi_temp_path ${run}/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port};
    location / {
      include ${run}/git.conf;
    }
  }
  server {
    listen 127.0.0.1:${authPort};
    location / {
      auth_basic "git";
      auth_basic_user_file ${run}/users;
      include ${run}/git.conf;
    }
  }
}
`,
  );
  const nginx = spawn('/usr/sbin/nginx', ['-c', `${run}/nginx.conf`, '-p', run], { stdio: 'ignore', detached: true });
  children.push({ child: nginx, group: true });
  await answers(`http://127.0.0.1:${port}/`);
  return {
    url: `http://127.0.0.1:${port}`,
    authUrl: `http://bench:${NGINX_PASSWORD}@127.0.0.1:${authPort}`,
    pids: [nginx.pid!, fcgi.pid!],
  };
}

/**
 * Node's options for the server as `npm start` gives them (package.json `config.serveNodeOptions`);
 * CCR_BENCH_NODE_ARGS instead when set, to try others ("" for none).
 */
export function serveNodeOptions(): string[] {
  if (process.env['CCR_BENCH_NODE_ARGS'] !== undefined) return envWords('CCR_BENCH_NODE_ARGS');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    config: { serveNodeOptions: string };
  };
  return pkg.config.serveNodeOptions.split(' ').filter(Boolean);
}

/** The server's environment as `npm start` gives it: this one's, with two malloc arenas unless it says otherwise. */
export const serveEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  MALLOC_ARENA_MAX: '2',
  ...process.env,
  ...env,
  CCR_ADMIN_TOKEN: TOKEN,
  CCR_LOG_FORMAT: 'json',
});

/** `ccr serve` as a user runs it (`npm start`'s node options and environment); gives its URL and pid. */
export async function startCcr(
  data: string,
  bundle = new URL('../bundle/ccr.cjs', import.meta.url).pathname,
  env: NodeJS.ProcessEnv = {},
  nodeArgs = serveNodeOptions(),
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const file = process.env['CCR_BENCH_SERVER_OUT'];
  const out = file ? openSync(file, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, bundle, 'serve', '--data', data, '--port', String(port)], {
    // CCR_BENCH_SERVER_OUT=<file>: the server's output (its log, V8's traces) goes there.
    stdio: ['ignore', out, out],
    env: serveEnv(env),
  });
  children.push({ child, group: false });
  if (typeof out === 'number') closeSync(out); // the server has its own copy
  const url = `http://127.0.0.1:${port}`;
  await answers(`${url}/healthz`);
  return { url, pid: child.pid! };
}

/** Resident memory of a process, in MB. */
export const rss = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** A record at CCR and its copy, as it is now, at nginx (a bare clone under `repos`); gives both URLs and the thread. */
export async function pair(
  ccr: string,
  nginx: string,
  repos: string,
  name: string,
): Promise<{ ccr: string; nginx: string; thread: string }> {
  const rec = await apiRecord({ url: ccr });
  const bare = `${repos}/${name}.git`;
  await gitCli('/', ['clone', '-q', '--bare', rec.url, bare]);
  await gitCli(bare, ['config', 'http.receivepack', 'true']);
  return { ccr: rec.url, nginx: `${nginx}/${name}.git`, thread: rec.thread };
}
