// `ccr login <server-url>` and `ccr logout <server-url>`: keep a principal's token in the user's own
// git credential helper (`git credential approve` / `reject`), so that ccr and plain git find it
// and no repository holds it. The server is asked first whether the name and token are right.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Failure, out, str, UsageError, type Command } from './args.js';
import { serverOf, splitCredentials } from './credentials.js';
import { probe } from './probe.js';

/** Run git as the user's git runs (their configuration and helpers), with input; never throws for a non-zero exit. */
function userGit(
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The server's base URL from the argument: http(s), credentials taken out, a record URL cut back to the server. */
function serverArgument(text: string | undefined, command: string): { base: string; user?: string; token?: string } {
  if (!text) throw new UsageError(`ccr ${command} needs the server's URL, e.g. https://ccr.example.org`);
  const split = splitCredentials(text);
  if (!/^https?:\/\/[^/\s]+/.test(split.url))
    throw new UsageError(`expected the server's http(s) URL, found ${JSON.stringify(split.url)}`);
  return {
    base: serverOf(split.url),
    ...(split.user ? { user: split.user } : {}),
    ...(split.token ? { token: split.token } : {}),
  };
}

/** A line typed at the terminal; hidden for a secret. */
function ask(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    let text = '';
    if (hidden && stdin.isTTY) stdin.setRawMode(true);
    const done = () => {
      stdin.off('data', onData);
      if (hidden && stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(text);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') process.exit(130);
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The credential helper git uses for a URL, or null when none is configured. */
async function helperFor(base: string): Promise<string | null> {
  const r = await userGit(['config', '--get-urlmatch', 'credential.helper', base], '');
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim().split('\n').pop()! : null;
}

/**
 * True when git's `store` helper is among the helpers: git runs every `credential.helper` in
 * turn, so `store` listed before another one still gets the token.
 */
async function storesInClear(helper: string): Promise<boolean> {
  const all = (await userGit(['config', '--get-all', 'credential.helper'], '')).stdout.replace(/\n$/, '').split('\n');
  const inForce = all.slice(all.lastIndexOf('') + 1); // an empty value clears the helpers listed before it
  return [helper, ...inForce].some((h) => /^(\S*\/)?(git-credential-)?store(\s|$)/.test(h.trim()));
}

/** The helper to recommend: git's memory cache for a working day, or the system's keychain. */
const GOOD_HELPERS =
  'git config --global credential.helper "cache --timeout=28800" ' +
  "(in memory, forgotten after 8 hours), or your system's keychain (libsecret, osxkeychain, manager)";

/** Said when the helper in force is `store`: one line, after the token was kept. */
const STORE_WARNING =
  'ccr: warning: git\'s credential helper "store" writes the token in clear to a file your ' +
  "user can read (~/.git-credentials); prefer cache --timeout=28800 or your system's keychain " +
  '(libsecret, osxkeychain, manager)\n';

const NO_HELPER_HINT =
  `choose one, then run ccr login again: ${GOOD_HELPERS}; ` +
  'avoid store, which writes the token in clear to ~/.git-credentials';

/** `ccr login <server-url>`: check a principal's token with the server, then keep it in git's credential helper. */
export const login: Command = {
  help: `ccr login <server-url> [--user NAME]

Keep your principal's token for a CCR server in git's credential helper, so that ccr clone,
ccr push, ccr pull and plain git find it, and no repository holds it (a token written into a
clone URL would stay in clear in .git/config). The token is read from CCR_TOKEN, from standard
input, or asked for at a terminal without being shown. The server is asked first whether the
name and token are right; nothing is kept when they are not. Needs a credential helper that
does not write the token in clear, e.g. git config --global credential.helper "cache --timeout=28800"
(in memory for 8 hours) or your system's keychain (libsecret, osxkeychain, manager). The helper
store writes the token in clear to ~/.git-credentials, readable by your user: ccr login warns.

Example:
  ccr login https://ccr.example.org --user jane`,
  options: { user: { type: 'string' } },
  async run(v, [server]) {
    const given = serverArgument(server, 'login');
    const base = given.base;
    const helper = await helperFor(base);
    if (!helper)
      throw new Failure(`git has no credential helper for ${base}, so it would keep nothing`, NO_HELPER_HINT);
    const tty = Boolean(process.stdin.isTTY);
    const user =
      str(v['user']) ??
      given.user ??
      process.env['CCR_USER'] ??
      (tty ? (await ask('principal name: ', false)).trim() : '');
    if (!user) throw new UsageError('give the principal name with --user (or CCR_USER)');
    let token =
      given.token ??
      process.env['CCR_TOKEN'] ??
      (tty ? await ask(`token of ${user}: `, true) : readFileSync(0, 'utf8'));
    token = token.trim();
    if (!token) throw new UsageError('give the token on standard input, in CCR_TOKEN, or type it when asked');

    const answer = await probe(`${base}/api/records?limit=1`, { user, token, timeoutMs: 30_000 });
    if ('error' in answer) {
      const tls = /certificate|SSL|TLS/i.test(answer.message);
      throw new Failure(
        `cannot reach the server at ${base} (${answer.error}); nothing was kept`,
        tls
          ? 'its certificate is not trusted here: set NODE_EXTRA_CA_CERTS to its CA file for ccr (and http.sslCAInfo for git)'
          : 'check the URL, and that the server runs and is reachable from here',
      );
    }
    // Any answer but 401 means the credentials are right (an integration principal may not list records: 403).
    if (answer.status === 401)
      throw new Failure(
        `the server at ${base} refused the credentials of ${user}; nothing was kept`,
        'check the principal name and the token (an administrator can create a new principal)',
      );
    if (answer.status !== 200 && answer.status !== 403) {
      throw new Failure(
        `${base} does not answer like a CCR server (HTTP ${answer.status} for /api/records); nothing was kept`,
        'give the base URL of the CCR server, the part before /coordination/',
      );
    }

    const entry = `url=${base}\nusername=${user}\npassword=${token}\n\n`;
    const approved = await userGit(['credential', 'approve'], entry);
    if (approved.code !== 0)
      throw new Failure(
        `git credential approve failed: ${approved.stderr.trim().split('\n').pop() ?? ''}`,
        `check the credential helper (${helper})`,
      );
    // Ask the helper back: some helpers (or a helper for another host) keep nothing without a word.
    const filled = await userGit(['credential', 'fill'], `url=${base}\nusername=${user}\n\n`, {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
    });
    if (!filled.stdout.split('\n').includes(`password=${token}`))
      throw new Failure(`the credential helper (${helper}) did not keep the token for ${base}`, NO_HELPER_HINT);
    // Said once the token was kept: a refused or failed login wrote nothing in clear.
    if (await storesInClear(helper)) process.stderr.write(STORE_WARNING);
    out(
      v['json'] === true,
      { server: base, user, helper },
      `logged in to ${base} as ${user}: git's credential helper (${helper}) keeps the token; no repository holds it`,
    );
    return 0;
  },
};

/** `ccr logout <server-url>`: remove the kept token from git's credential helper. */
export const logout: Command = {
  help: `ccr logout <server-url> [--user NAME]

Remove the token kept for a CCR server from git's credential helper (git credential reject).

Example:
  ccr logout https://ccr.example.org`,
  options: { user: { type: 'string' } },
  async run(v, [server]) {
    const { base, user: inUrl } = serverArgument(server, 'logout');
    const user = str(v['user']) ?? inUrl;
    const r = await userGit(['credential', 'reject'], `url=${base}\n${user ? `username=${user}\n` : ''}\n`);
    if (r.code !== 0)
      throw new Failure(
        `git credential reject failed: ${r.stderr.trim().split('\n').pop() ?? ''}`,
        'check your credential helper (git config credential.helper)',
      );
    out(
      v['json'] === true,
      { server: base, ...(user ? { user } : {}) },
      `forgot the token${user ? ` of ${user}` : ''} for ${base}`,
    );
    return 0;
  },
};
