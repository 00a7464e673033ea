// Tokens kept out of repositories. A URL such as `http://jane:<token>@host/…` given to git ends up
// in .git/config in clear; ccr takes credentials from git's credential helpers (`ccr login` puts
// the token there) or from CCR_USER and CCR_TOKEN for one command, and warns when it finds a
// token written into a remote's URL.

import { runGit } from '../git/run.js';
import { readConfig } from './gitConfig.js';

/** A URL split into the URL without credentials and the credentials it held. */
export interface SplitUrl {
  url: string;
  user?: string;
  token?: string;
}

/** Take the credentials out of an http(s) URL; a URL that does not parse is given back as it is. */
export function splitCredentials(text: string): SplitUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { url: text };
  }
  const user = decodeURIComponent(u.username);
  const token = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return {
    url: u.toString().replace(/\/$/, text.endsWith('/') ? '/' : ''),
    ...(user ? { user } : {}),
    ...(token ? { token } : {}),
  };
}

/** True when a URL holds a secret: a password, or a user name that is itself a CCR token. */
export function holdsSecret(url: string): boolean {
  const { user, token } = splitCredentials(url);
  return token !== undefined || (user?.startsWith('ccr_') ?? false);
}

/** The server's base URL of a record URL (`…/coordination/<id>.git` removed), without credentials. */
export function serverOf(url: string): string {
  return splitCredentials(url)
    .url.replace(/\/coordination\/.*$/, '')
    .replace(/\/+$/, '');
}

/** The remotes of a repository whose URL holds a token, with the URL (credentials removed) and the user name in it. */
export async function remotesWithTokens(
  gitdir: string,
): Promise<Array<{ remote: string; url: string; user?: string }>> {
  // A URL holding a user or a token has an `@`, and git's config syntax has no escape for one: a
  // config file without `@` and without the word include (git takes `[core][include]` on one line)
  // holds none, and git need not start (issue 17).
  const text = readConfig(`${gitdir}/config`);
  if (text !== undefined && !text.includes('@') && !/include/i.test(text)) return [];
  const r = await runGit([
    '--git-dir',
    gitdir,
    'config',
    '--local',
    '--includes',
    '--get-regexp',
    '^remote\\..*\\.(push)?url$',
  ]);
  if (r.code !== 0) return [];
  return r.stdout
    .toString('utf8')
    .split('\n')
    .flatMap((line) => {
      const m = /^remote\.(.+)\.(?:push)?url (.*)$/.exec(line);
      if (!m || !holdsSecret(m[2]!)) return [];
      const { url, user, token } = splitCredentials(m[2]!);
      return [{ remote: m[1]!, url, ...(user && token ? { user } : {}) }];
    });
}

/** Warn on stderr, with the commands that fix it, for every remote whose URL holds a token. */
export async function warnTokensInRemotes(gitdir: string): Promise<void> {
  for (const { remote, url, user } of await remotesWithTokens(gitdir)) {
    process.stderr.write(
      `ccr: warning: the URL of remote ${remote} holds a token, kept in clear in ${gitdir}/config\n` +
        `hint: keep it in git's credential helper instead: ccr login ${serverOf(url)} --user ${user ?? '<name>'}; then git remote set-url ${remote} ${url}\n`,
    );
  }
}
