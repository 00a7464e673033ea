// Pushing a working copy's main and knowing what became of it. A push can end three ways: the
// server took it, the server said no (a rule, or main moved on: fetch first), or the connection
// failed in a way that does not tell (the server may have moved main just before it went away).
// The last is "unknown" and is settled by fetching, never by writing the message again.

import { runGit } from './run.js';

/** What the server says when another write moved `main` while a push was judged: fetch, push again. */
export const MAIN_MOVED = 'main moved while your push was being checked';

/** What a push of main ended in. */
export type PushOutcome =
  | { outcome: 'accepted'; receipt?: string }
  | { outcome: 'refused'; lines: string[] }
  | { outcome: 'behind' }
  | { outcome: 'unknown'; detail: string };

/** Options of the git commands: where, with which environment and extra arguments (credentials). */
export interface RemoteOptions {
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Arguments before the git command, e.g. `-c credential.helper=…`. */
  gitArgs?: string[];
  remote?: string;
  timeoutMs?: number;
}

const git = (o: RemoteOptions, args: string[]) =>
  runGit([...(o.gitArgs ?? []), ...args], {
    cwd: o.dir,
    ...(o.env ? { env: o.env } : {}),
    timeoutMs: o.timeoutMs ?? 120_000,
  });

/** Push main and classify the result. */
export async function pushMain(o: RemoteOptions): Promise<PushOutcome> {
  const r = await git(o, ['push', '--porcelain', o.remote ?? 'origin', 'main:main']);
  const text = `${r.stdout.toString()}\n${r.stderr}`;
  if (r.code === 0) {
    // The server's signed receipt, from its remote: lines (core/receipt.ts).
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .map((l) =>
        l
          .slice(8)
          .replace(/(\x1b\[K)+$/, '')
          .trimEnd(),
      );
    const start = lines.indexOf('-----BEGIN CCR RECEIPT-----');
    const end = lines.indexOf('-----END CCR RECEIPT-----', start);
    return start !== -1 && end !== -1
      ? { outcome: 'accepted', receipt: `${lines.slice(start, end + 1).join('\n')}\n` }
      : { outcome: 'accepted' };
  }
  if (text.includes(MAIN_MOVED)) return { outcome: 'behind' };
  if (/pre-receive hook declined/.test(text))
    return { outcome: 'refused', lines: text.split('\n').filter((l) => l.startsWith('remote: ')) };
  if (/\(fetch first\)|\(non-fast-forward\)|failed to update ref|cannot lock ref|stale info/.test(text))
    return { outcome: 'behind' };
  return { outcome: 'unknown', detail: r.stderr.trim().split('\n').slice(-2).join(' ') };
}

/**
 * After an unknown outcome: fetch the server's main and say whether `commit` is in it. Tries
 * `attempts` times (the server may be coming back); still unknown when no fetch succeeded.
 */
export async function settlePush(
  o: RemoteOptions,
  commit: string,
  attempts = 20,
  pauseMs = 250,
): Promise<'landed' | 'missing' | 'unknown'> {
  const remote = o.remote ?? 'origin';
  for (let i = 0; i < attempts; i++) {
    const fetched = await git(o, ['fetch', '--quiet', remote, `+refs/heads/main:refs/remotes/${remote}/main`]);
    if (fetched.code === 0) {
      const has = await git(o, ['merge-base', '--is-ancestor', commit, `refs/remotes/${remote}/main`]);
      return has.code === 0 ? 'landed' : 'missing';
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return 'unknown';
}
