// `ccr doctor [--data DIR]`: check what a CCR server needs on its machine and in its data folder,
// and say what to fix: git and bash, the hook, the spawn helper, the data folder and its
// permissions, free disk space, the git configuration in force, the principals store, the server
// lock, the records' own git configuration, and the peers of sites.json (reachable, credentials
// accepted). Exit status 0 when nothing is wrong (warnings allowed), 1 when a problem was found.

import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SPAWN_HELPER, runGit, gitEnv } from '../git/run.js';
import { gitIsRecentEnough, gitVersion, MIN_GIT, programRuns } from '../git/version.js';
import { renderGitConfig } from '../git/config.js';
import { checkPrincipalInput, type StoredPrincipal } from '../store/principals.js';
import { chosenHook, hookProblem, hooksDirOf } from '../git/hooks.js';
import { DB_FILE, openDatabase } from '../store/sqlite/db.js';
import { hintOf } from '../core/errors.js';
import { checkSites, type Peer } from '../sync/peers.js';
import { version } from '../version.js';
import { dataDir, out, type Command } from './args.js';
import { probe } from './probe.js';

/** One finding of the doctor. */
export interface Check {
  area: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do, for a warning or a problem. */
  fix?: string;
}

const ok = (area: string, detail: string): Check => ({ area, status: 'ok', detail });
const warn = (area: string, detail: string, fix: string): Check => ({ area, status: 'warn', detail, fix });
const bad = (area: string, detail: string, fix: string): Check => ({ area, status: 'fail', detail, fix });

const MiB = 1024 * 1024;
/** The server's largest push (defaults.maxPushBytes): its quarantine needs that much room. */
const MAX_PUSH = 256 * MiB;

/** git and bash on PATH, git recent enough, Node recent enough. */
async function checkPrograms(): Promise<Check[]> {
  const [git, bash] = await Promise.all([gitVersion(), programRuns('bash', ['-c', ':'])]);
  const install = `install git ${MIN_GIT.join('.')} or later (Debian/Ubuntu: apt-get install git) on the PATH of the server`;
  const node = Number(/^v(\d+)/.exec(process.version)?.[1] ?? 0);
  return [
    !git
      ? bad('git', 'the git command was not found on PATH', install)
      : gitIsRecentEnough(git)
        ? ok('git', `${git.text} (${MIN_GIT.join('.')} or later is needed)`)
        : bad('git', `${git.text} is too old (core.fsync needs ${MIN_GIT.join('.')})`, install),
    chosenHook().kind === 'compiled'
      ? ok('bash', 'not needed: the pre-receive hook is the compiled client')
      : bash
        ? ok('bash', 'bash found (the pre-receive hook is a bash script)')
        : bad('bash', 'bash was not found on PATH; every push would be refused', 'install bash'),
    node >= 20
      ? ok('node', `Node.js ${process.version}`)
      : bad('node', `Node.js ${process.version} is too old`, 'install Node.js 20 or later'),
  ];
}

/**
 * The pre-receive hook exists and is executable (git silently skips one that is not): the client a
 * server installs, or with a folder, the hook in it.
 */
export async function checkHook(hooksDir = dirname(chosenHook().file)): Promise<Check> {
  const hook = `${hooksDir}/pre-receive`;
  const st = await fs.stat(hook).catch(() => null);
  if (!st)
    return bad(
      'hook',
      `${hook} is missing`,
      'reinstall CCR (a fresh checkout holds hooks/pre-receive; `npm run build` compiles its C client)',
    );
  const runnable = await fs.access(hook, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
  if (!runnable || (st.mode & 0o111) === 0)
    return bad('hook', `${hook} is not executable; the server refuses to start`, `chmod +x ${hook}`);
  const problem = await hookProblem(hook);
  return problem
    ? bad('hook', `${hook} ${problem}`, 'keep the data folder on a file system that lets programs run (not noexec)')
    : ok('hook', `${hook} is executable`);
}

/** The copy of the hook git runs; not there yet is a warning while no server runs (a start installs it). */
async function checkInstalledHook(data: string, running: boolean): Promise<Check> {
  const dir = hooksDirOf(data);
  if (!running && !(await fs.stat(`${dir}/pre-receive`).catch(() => null)))
    return warn('hook', `${dir}/pre-receive is not installed yet`, 'the server installs it at its next start');
  return checkHook(dir);
}

/** The data folder: there, a folder, writable, not writable by everyone. */
async function checkFolder(data: string): Promise<Check> {
  const st = await fs.stat(data).catch(() => null);
  if (!st)
    return bad(
      'data folder',
      `there is no data folder at ${data}`,
      `give --data (or CCR_DATA) the folder the server serves; ccr serve --data ${data} creates one`,
    );
  if (!st.isDirectory())
    return bad('data folder', `${data} is not a folder`, 'give --data (or CCR_DATA) the folder the server serves');
  const writable = await fs.access(data, fsConstants.W_OK | fsConstants.X_OK).then(
    () => true,
    () => false,
  );
  if (!writable)
    return bad(
      'data folder',
      `${data} is not writable by this user (uid ${process.getuid?.() ?? '?'}; the folder belongs to uid ${st.uid})`,
      'run the server (and ccr doctor) as the user that owns the folder, or chown it to that user',
    );
  if (st.mode & 0o002)
    return warn(
      'data folder',
      `${data} is writable by every user (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod o-w ${data}`,
    );
  return ok('data folder', `${data} is a folder this user can write (mode ${(st.mode & 0o777).toString(8)})`);
}

/** Free space where the data folder is. */
async function checkDisk(data: string): Promise<Check> {
  const s = await fs.statfs(data);
  const free = s.bavail * s.bsize;
  const share = s.blocks > 0 ? s.bavail / s.blocks : 1;
  const text = `${(free / 1024 / MiB).toFixed(1)} GiB free (${(share * 100).toFixed(0)}%)`;
  if (free < MAX_PUSH)
    return bad(
      'disk space',
      `${text}: less than one largest push (${MAX_PUSH / MiB} MiB)`,
      'free space on that file system, or move the data folder to a larger one',
    );
  if (free < 1024 * MiB || share < 0.05)
    return warn('disk space', text, 'free space soon: a full disk refuses every push');
  return ok('disk space', text);
}

/** The principals: in the identity database, or in a principals.json the next start moves into it. */
async function checkPrincipals(data: string): Promise<Check> {
  const file = `${data}/principals.json`;
  const st = await fs.stat(file).catch(() => null);
  if (!st) return checkIdentityDatabase(data);
  let list: StoredPrincipal[];
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as { principals?: unknown };
    if (!Array.isArray(parsed.principals)) throw new Error('expected { "principals": [ … ] }');
    list = parsed.principals as StoredPrincipal[];
  } catch (e) {
    return bad(
      'principals',
      `${file} cannot be read: ${(e as Error).message}`,
      'restore it from a backup; the server does not start without it',
    );
  }
  const broken = list.filter((p) => {
    try {
      checkPrincipalInput(p);
      // A keyed hash (token_hash), or a scrypt hash an older version wrote (rehashed on first sign-in).
      return typeof p.token_hash !== 'string' && (typeof p.salt !== 'string' || typeof p.hash !== 'string');
    } catch {
      return true;
    }
  });
  if (broken.length > 0)
    return bad(
      'principals',
      `${file}: malformed entries: ${broken.map((p) => JSON.stringify(p?.name ?? '?')).join(', ')}`,
      'restore the file from a backup, or remove those entries and add them again with ccr principal add',
    );
  const keyFile = `${file.slice(0, file.lastIndexOf('/'))}/token.key`;
  if (list.some((p) => p.token_hash) && !(await fs.stat(keyFile).catch(() => null))) {
    return bad(
      'principals',
      `${keyFile} is missing: the token hashes in ${file} cannot be checked without it`,
      'restore token.key from a backup (or remove the principals and create them again)',
    );
  }
  if (st.mode & 0o077)
    return warn(
      'principals',
      `${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
    );
  const kinds = new Map<string, number>();
  for (const p of list) kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
  const summary = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  if (!kinds.has('admin'))
    return warn(
      'principals',
      `no admin principal (${summary})`,
      'the next start of the server creates one and prints its token once',
    );
  return ok(
    'principals',
    `${list.length} principal${list.length === 1 ? '' : 's'} (${summary}); tokens stored as hashes only`,
  );
}

/** The identity database: opens, is of a schema this CCR knows, has an admin, its token key, mode 0600. */
async function checkIdentityDatabase(data: string): Promise<Check> {
  const file = `${data}/${DB_FILE}`;
  const st = await fs.stat(file).catch(() => null);
  if (!st) {
    return warn(
      'principals',
      `${file} does not exist yet`,
      'the next start of the server creates the admin principal and prints its token once',
    );
  }
  let kinds: Array<{ kind: string; n: number }>;
  let keyed: boolean;
  try {
    const db = openDatabase(file, { readonly: true });
    try {
      kinds = db
        .prepare('SELECT kind, count(*) AS n FROM principals GROUP BY kind ORDER BY kind')
        .all() as typeof kinds;
      keyed = db.prepare('SELECT 1 FROM tokens WHERE legacy_hash IS NULL LIMIT 1').get() !== undefined;
    } finally {
      db.close();
    }
  } catch (e) {
    return bad(
      'principals',
      `${file} cannot be read: ${(e as Error).message}`,
      `${hintOf(e) ?? 'restore it from a backup'}; the server does not start without it`,
    );
  }
  if (keyed && !(await fs.stat(`${data}/token.key`).catch(() => null))) {
    return bad(
      'principals',
      `${data}/token.key is missing: the token hashes in ${file} cannot be checked without it`,
      'restore token.key from a backup (or remove the principals and create them again)',
    );
  }
  if (st.mode & 0o077) {
    return warn(
      'principals',
      `${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}*`,
    );
  }
  const total = kinds.reduce((a, k) => a + k.n, 0);
  const summary = kinds.map((k) => `${k.n} ${k.kind}`).join(', ') || 'none';
  if (!kinds.some((k) => k.kind === 'admin')) {
    return warn(
      'principals',
      `no admin principal (${summary})`,
      'the next start of the server creates one and prints its token once',
    );
  }
  return ok('principals', `${total} principal${total === 1 ? '' : 's'} (${summary}); tokens stored as hashes only`);
}

/** The settings that keep pushes judged and history safe, with the value they must have. */
const required = (data: string): Array<[key: string, value: string]> => [
  ['core.hookspath', hooksDirOf(data)],
  ['receive.fsckobjects', 'true'],
  ['transfer.fsckobjects', 'true'],
  ['receive.denydeletes', 'true'],
  ['receive.denynonfastforwards', 'true'],
  ['core.fsync', 'committed'],
];

/** The git configuration the server's git runs with (<data>/gitconfig, no system or user file). */
async function checkGitConfig(data: string, running: boolean): Promise<Check> {
  const file = `${data}/gitconfig`;
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return warn('git config', `${file} does not exist yet`, 'the server writes it at its next start');
  const r = await runGit(['config', '--list'], { env: gitEnv(file), cwd: '/' });
  const inForce = new Map(
    r.stdout
      .toString('utf8')
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')).toLowerCase(), l.slice(l.indexOf('=') + 1)] as const),
  );
  const wrong = required(data).filter(([k, v]) =>
    k === 'core.hookspath' ? resolve(inForce.get(k) ?? '') !== resolve(v) : inForce.get(k) !== v,
  );
  const shown = wrong
    .map(([k, v]) => `${k} is ${JSON.stringify(inForce.get(k) ?? null)}, expected ${JSON.stringify(v)}`)
    .join('; ');
  const maxInput = Number(inForce.get('receive.maxinputsize') ?? MAX_PUSH);
  const same = text === renderGitConfig({ hooksPath: hooksDirOf(data), maxInputBytes: maxInput });
  if (wrong.length > 0) {
    return (running ? bad : warn)(
      'git config',
      `${file}: ${shown}`,
      running
        ? 'restart the server: it writes the file at start (never edit it by hand)'
        : 'the server rewrites it at its next start (never edit it by hand)',
    );
  }
  if (!same)
    return warn(
      'git config',
      `${file} differs from what this version of CCR writes`,
      'the server rewrites it at its next start',
    );
  return ok(
    'git config',
    `${file}: hooks from ${hooksDirOf(data)}, fsck of everything received, no deletes or forced updates, fsync of committed objects, pushes up to ${(maxInput / MiB).toFixed(0)} MiB; no system or user configuration`,
  );
}

/** Whether a server holds the folder (server.lock with a live pid). */
async function checkLock(data: string): Promise<{ check: Check; running: boolean }> {
  const text = await fs.readFile(`${data}/server.lock`, 'utf8').catch(() => null);
  if (text === null) return { check: ok('server', 'no server is running on this folder'), running: false };
  const pid = Number(text);
  let alive = false;
  try {
    alive = Number.isInteger(pid) && pid > 0 && (process.kill(pid, 0), true);
  } catch (e) {
    alive = (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return alive
    ? { check: ok('server', `a CCR server (pid ${pid}) serves this folder`), running: true }
    : {
        check: warn(
          'server',
          `${data}/server.lock names pid ${text.trim()}, which is not running (a server that crashed)`,
          'nothing to do: the next start takes it over',
        ),
        running: false,
      };
}

/** Git settings of a record's own config that would undo the server's (a hook path above all). */
const OVERRIDES = /^\s*(hookspath|fsckobjects|denydeletes|denynonfastforwards|fsync)\s*=/im;

/** The records: how many, and none with git settings of its own that switch the server's off. */
async function checkRecords(data: string): Promise<Check> {
  const root = `${data}/coordination`;
  let count = 0;
  const overriding: string[] = [];
  const entries = async (dir: string) => fs.readdir(dir).catch(() => [] as string[]);
  if (!(await fs.stat(root).catch(() => null)))
    return warn('records', `${root} does not exist yet`, 'the server creates it at its next start');
  for (const s1 of await entries(root)) {
    for (const s2 of await entries(`${root}/${s1}`)) {
      for (const name of await entries(`${root}/${s1}/${s2}`)) {
        if (!name.endsWith('.git')) continue;
        count++;
        const config = await fs.readFile(`${root}/${s1}/${s2}/${name}/config`, 'utf8').catch(() => '');
        if (OVERRIDES.test(config)) overriding.push(name.slice(0, -4));
      }
    }
  }
  if (overriding.length > 0) {
    return bad(
      'records',
      `${overriding.length} of ${count} records set hooks, fsck or deny settings in their own config: ${overriding.slice(0, 5).join(', ')}${overriding.length > 5 ? ', …' : ''}`,
      "remove those lines from <record>.git/config (git config --file <record>.git/config --unset <key>): they override the server's configuration",
    );
  }
  return ok('records', `${count} record${count === 1 ? '' : 's'}; none overrides the server's git configuration`);
}

/** One peer of sites.json: a token available, reachable, credentials accepted. */
async function checkPeer(peer: Peer): Promise<Check[]> {
  const area = `peer ${peer.name}`;
  const checks: Check[] = [];
  if (peer.token !== undefined)
    checks.push(
      warn(
        area,
        `the token of ${peer.user} is written in clear in sites.json`,
        `put it in an environment variable of the server and name it with "token_env"`,
      ),
    );
  const token = peer.token ?? (peer.token_env ? process.env[peer.token_env] : undefined);
  const ca = peer.ca ? await fs.readFile(peer.ca).catch(() => null) : undefined;
  if (ca === null) return [...checks, bad(area, `cannot read its CA certificate ${peer.ca}`, 'fix "ca" in sites.json')];
  const health = await probe(`${peer.url.replace(/\/+$/, '')}/healthz`, { timeoutMs: 5_000, ...(ca ? { ca } : {}) });
  if ('error' in health)
    return [
      ...checks,
      bad(
        area,
        `${peer.url} cannot be reached (${health.error}: ${health.message})`,
        'check its URL in sites.json, that it runs, and the network between the sites',
      ),
    ];
  if (health.status !== 200)
    return [
      ...checks,
      bad(
        area,
        `${peer.url}/healthz answers HTTP ${health.status}`,
        'check that the URL in sites.json is the base URL of a CCR server',
      ),
    ];
  if (token === undefined) {
    return [
      ...checks,
      warn(
        area,
        `${peer.url} is reachable; the credentials were not checked: ${peer.token_env ?? 'the token variable'} is not set here`,
        `run ccr doctor with ${peer.token_env ?? 'it'} set as the server has it`,
      ),
    ];
  }
  const auth = await probe(`${peer.url.replace(/\/+$/, '')}/api/records?limit=1`, {
    user: peer.user,
    token,
    timeoutMs: 10_000,
    ...(ca ? { ca } : {}),
  });
  if ('error' in auth)
    return [...checks, bad(area, `${peer.url} stopped answering (${auth.error})`, 'check the peer and the network')];
  if (auth.status === 401)
    return [
      ...checks,
      bad(
        area,
        `${peer.url} refuses the credentials of ${peer.user}`,
        `check "user" and the token: ${peer.user} must be a site principal at that peer`,
      ),
    ];
  if (auth.status !== 200)
    return [
      ...checks,
      warn(
        area,
        `${peer.url} answers HTTP ${auth.status} for the records list as ${peer.user}`,
        `${peer.user} should be a site principal at that peer`,
      ),
    ];
  return [...checks, ok(area, `${peer.url} is reachable and accepts the credentials of ${peer.user}`)];
}

/** sites.json: absent, or valid with every peer checked. */
async function checkSitesFile(data: string): Promise<Check[]> {
  const file = `${data}/sites.json`;
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return [ok('peers', 'no sites.json: this server syncs with no peer')];
  let peers: Peer[];
  try {
    peers = checkSites(JSON.parse(text)).peers;
  } catch (e) {
    return [
      bad(
        'peers',
        `${file} cannot be used: ${(e as Error).message}`,
        'fix it (README: Sync between sites); the server does not start with it as it is',
      ),
    ];
  }
  if (peers.length === 0) return [ok('peers', `${file} names no peer`)];
  return (await Promise.all(peers.map(checkPeer))).flat();
}

/**
 * The spawn helper the build compiles (server/spawnHelper.c), which starts git for the server;
 * without it the server starts git itself, at a cost that grows with its memory.
 */
export async function checkSpawnHelper(file = SPAWN_HELPER): Promise<Check> {
  const runs = await fs.access(file, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
  return runs
    ? ok('spawn helper', `${file} starts git for the server`)
    : warn(
        'spawn helper',
        `${file} was not built: the server starts git itself, at a cost to every request that grows with its memory`,
        'install a C compiler (Debian: apt-get install gcc) and run `npm run build`',
      );
}

/** Every check for a data folder, in the order they are shown. */
export async function diagnose(data: string): Promise<Check[]> {
  const checks = [...(await checkPrograms()), await checkHook(), await checkSpawnHelper()];
  const folder = await checkFolder(data);
  checks.push(folder);
  if (folder.status === 'fail' && !(await fs.stat(data).catch(() => null))?.isDirectory()) return checks;
  const lock = await checkLock(data);
  checks.push(
    await checkDisk(data),
    lock.check,
    await checkPrincipals(data),
    await checkGitConfig(data, lock.running),
    // The copy git runs (the server installs it at each start), once a server has written its config.
    ...((await fs.stat(`${data}/gitconfig`).catch(() => null)) ? [await checkInstalledHook(data, lock.running)] : []),
    await checkRecords(data),
    ...(await checkSitesFile(data)),
  );
  return checks;
}

/** `ccr doctor [--data DIR]`: every check, one line each, and the exit status. */
export const doctor: Command = {
  help: `ccr doctor [--data DIR] [--json]

Check what a CCR server needs and say what to fix, one line per check: git (${MIN_GIT.join('.')} or later)
and bash on PATH, Node.js, the pre-receive hook being executable, the spawn helper being built,
the data folder (there, writable, not writable by everyone), free disk space, the server lock,
the principals store, the git configuration in force, the records' own git configuration, and
each peer of sites.json (reachable, credentials accepted). Safe to run beside a running server;
changes nothing.
Exit status 0 when no problem was found (warnings allowed), 1 otherwise.

Example:
  ccr doctor --data /srv/ccr`,
  options: { data: { type: 'string' } },
  async run(v) {
    const data = resolve(dataDir(v['data']));
    const checks = await diagnose(data);
    const problems = checks.filter((c) => c.status === 'fail').length;
    const warnings = checks.filter((c) => c.status === 'warn').length;
    const width = Math.max(...checks.map((c) => c.area.length));
    const lines = checks.map(
      (c) =>
        `  ${{ ok: 'ok  ', warn: 'warn', fail: 'FAIL' }[c.status]}  ${c.area.padEnd(width)}  ${c.detail}${c.fix ? `\n        ${' '.repeat(width)}  fix: ${c.fix}` : ''}`,
    );
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const summary =
      problems === 0
        ? `no problems found${warnings ? ` (${plural(warnings, 'warning')})` : ''}`
        : `${plural(problems, 'problem')}${warnings ? ` and ${plural(warnings, 'warning')}` : ''}: fix the FAIL lines, then run ccr doctor again`;
    out(
      v['json'] === true,
      { data, version, ok: problems === 0, problems, warnings, checks },
      [`ccr doctor ${version}: ${data}`, ...lines, summary].join('\n'),
    );
    return problems === 0 ? 0 : 1;
  },
};
