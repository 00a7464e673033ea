// `ccr records <server-url>`: the records a participant takes part in ("my records",
// GET /api/records), one page at a time. Credentials come from the URL, CCR_USER/CCR_TOKEN, or
// the user's git credential helper (where `ccr login` keeps them).

import { spawnSync } from 'node:child_process';
import { Failure, out, str, UsageError, type Command } from './args.js';
import { serverOf, splitCredentials } from './credentials.js';

/** Name and token for a server: the URL's, the environment's, or what git's credential helper gives. */
export function credentialsFor(
  base: string,
  given: { user?: string; token?: string },
  flagUser: string | undefined,
): { user: string; token: string } {
  const user = flagUser ?? given.user ?? process.env['CCR_USER'];
  const token = given.token ?? process.env['CCR_TOKEN'];
  if (user !== undefined && token !== undefined) return { user, token };
  const r = spawnSync('git', ['credential', 'fill'], {
    input: `url=${base}\n${user !== undefined ? `username=${user}\n` : ''}\n`,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    timeout: 30_000,
  });
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout ?? '')?.[1];
  const u = field('username');
  const p = field('password');
  if (r.status !== 0 || u === undefined || p === undefined) {
    throw new Failure(
      `no credentials for ${base}`,
      `run ccr login ${base} --user NAME first (or set CCR_USER and CCR_TOKEN)`,
    );
  }
  return { user: u, token: p };
}

export const records: Command = {
  help: `ccr records <server-url> [--user NAME] [--after RECORD-ID] [--limit N]

List the records you take part in (a participant principal), in record id order, a page at a time
(--limit, at most 1000; the next page starts --after the last id shown). An admin, auditor or
site principal gets the records it may list, as GET /api/records gives them.

Example:
  ccr records https://ccr.example.org --user jane`,
  options: { user: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } },
  async run(v, [server]) {
    if (!server) throw new UsageError("ccr records needs the server's URL, e.g. https://ccr.example.org");
    const split = splitCredentials(server);
    if (!/^https?:\/\/[^/\s]+/.test(split.url)) {
      throw new UsageError(`expected the server's http(s) URL, found ${JSON.stringify(split.url)}`);
    }
    const base = serverOf(split.url);
    const given = { ...(split.user ? { user: split.user } : {}), ...(split.token ? { token: split.token } : {}) };
    const { user, token } = credentialsFor(base, given, str(v['user']));
    const query = new URLSearchParams();
    if (str(v['after'])) query.set('after', str(v['after'])!);
    if (str(v['limit'])) query.set('limit', str(v['limit'])!);
    const url = `${base}/api/records${query.size > 0 ? `?${query}` : ''}`;
    const res = await fetch(url, {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` },
      signal: AbortSignal.timeout(60_000),
    }).catch((e: Error) => {
      throw new Failure(
        `cannot reach the server at ${base} (${e.message})`,
        'check the URL, and that the server runs and is reachable from here',
      );
    });
    type Body = { records?: string[]; next?: string; error?: { message?: string } };
    const body = (await res.json().catch(() => null)) as Body | null;
    if (res.status !== 200 || !Array.isArray(body?.records)) {
      throw new Failure(
        `the server refused: HTTP ${res.status}${body?.error?.message ? ` ${body.error.message}` : ''}`,
        res.status === 401 ? `check the name and token (ccr login ${base})` : 'see the message above',
      );
    }
    const more = body.next !== undefined ? `\n(more: ccr records ${base} --after ${body.next})` : '';
    out(v['json'] === true, body, (body.records.join('\n') || '(no records)') + more);
    return 0;
  },
};
