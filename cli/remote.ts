// `ccr clone`, `ccr push`, `ccr pull`: plain git with the user's own credentials (git's credential
// helpers, where `ccr login` keeps the token, or CCR_USER and CCR_TOKEN), never a token written
// into .git/config, and line endings kept as the record has them.

import { pushMain, settlePush } from '../git/remote.js';
import { readRef } from '../git/refs.js';
import { runGit } from '../git/run.js';
import { out, UsageError, type Command } from './args.js';
import { serverOf, splitCredentials, warnTokensInRemotes } from './credentials.js';
import { gitDirOf } from './gitDir.js';
import { explainGitFailure } from './explain.js';
import { dirOf, gitForUser, userGitArgs, workingCopyDir } from './workingCopy.js';
import { isUuid } from '../core/ids.js';

/** The URL of a working copy's remote `origin`, without credentials (for messages). */
async function originOf(gitdir: string): Promise<string | undefined> {
  const r = await runGit(['--git-dir', gitdir, 'config', '--get', 'remote.origin.url']);
  return r.code === 0 ? serverOf(r.stdout.toString('utf8').trim()) : undefined;
}

export const clone: Command = {
  help: `ccr clone <server-url> <record-id> [<folder>]

Clone record <record-id> from a CCR server into <folder> (default: the record id). Credentials
come from git's credential helpers (ccr login keeps your token there), or from CCR_USER and
CCR_TOKEN when both are set; a token is never written into the clone. Credentials written into
<server-url> are used for this clone only.

Example:
  ccr login https://ccr.example.org --user jane
  ccr clone https://ccr.example.org 7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88`,
  options: {},
  async run(_v, [server, id, folder]) {
    if (!server || !id) throw new UsageError('ccr clone needs a server URL and a record id');
    if (!isUuid(id))
      throw new UsageError(`expected the record id as a canonical lowercase UUID, found ${JSON.stringify(id)}`);
    const split = splitCredentials(server);
    if (!/^https?:\/\/[^/\s]+/.test(split.url))
      throw new UsageError(`expected the server's http(s) URL, found ${JSON.stringify(split.url)}`);
    const base = serverOf(split.url);
    let once;
    if (split.user && split.token) {
      once = { user: split.user, token: split.token };
      process.stderr.write(
        `ccr: warning: the token in the URL is used for this clone only; it is not written into the clone\nhint: ccr login ${base} --user ${split.user} keeps it in git's credential helper for later commands\n`,
      );
    }
    const url = `${base}/coordination/${id}.git`;
    return gitForUser(
      ['clone', '-c', 'core.autocrlf=false', '-c', 'core.eol=lf', url, folder ?? id],
      process.cwd(),
      { url: base, record: id },
      once,
    );
  },
};

export const pull: Command = {
  help: `ccr pull

Bring in what others pushed: git pull --ff-only origin main with your credentials (git's
credential helpers, or CCR_USER and CCR_TOKEN).

Example:
  ccr pull`,
  options: {},
  async run() {
    const { dir, gitdir } = await workingCopyDir();
    const url = await originOf(gitdir);
    return gitForUser(['pull', '--ff-only', 'origin', 'main'], dir, url ? { url } : {});
  },
};

export const push: Command = {
  help: `ccr push

Push your new commits to the server, with your credentials (git's credential helpers, or CCR_USER
and CCR_TOKEN). The server judges every commit; a refusal lists each rule broken. When the
connection fails in a way that does not say whether the server took the commits, ccr fetches to
find out: a message is never written twice.

Example:
  ccr push`,
  options: {},
  async run(v) {
    const json = v['json'] === true;
    const gitdir = await gitDirOf('.');
    await warnTokensInRemotes(gitdir);
    return sayPushed(await pushWorkingCopy(gitdir, json), json);
  },
};

/** Print what a push came to (`before`: what the JSON holds besides, as ccr message add --push's message); gives the exit code. */
export function sayPushed(r: PushReport, json: boolean, before?: Record<string, unknown>): number {
  const value = before ? { ...before, push: r.value } : r.value;
  if (r.refusedAtTheDoor && !json)
    process.stderr.write(`ccr: ${r.text}${r.refusedAtTheDoor.hint ? `\nhint: ${r.refusedAtTheDoor.hint}` : ''}\n`);
  else out(json, value, r.text);
  return r.ok ? 0 : 1;
}

/** What pushing a working copy's main came to: for the JSON and the words of ccr push (and ccr message add --push). */
export interface PushReport {
  ok: boolean;
  value: Record<string, unknown>;
  text: string;
  /** Refused before git sent anything (credentials or rights): said on stderr, with what to do. */
  refusedAtTheDoor?: { hint?: string };
}

/**
 * Push main of the working copy at `gitdir` with the user's credentials; when the connection
 * fails without saying whether the server took the commits, fetch to find out.
 */
export async function pushWorkingCopy(gitdir: string, json: boolean): Promise<PushReport> {
  const dir = dirOf(gitdir);
  // The commit pushed: read from HEAD's ref file like git does, else asked of git (one git start fewer).
  const head =
    (await readRef(gitdir, 'HEAD')) ??
    (await runGit(['rev-parse', 'HEAD'], { cwd: dir, env: process.env })).stdout.toString().trim();
  const o = { dir, env: process.env, gitArgs: userGitArgs() };
  let result = await pushMain(o);
  let settled: string | undefined;
  if (result.outcome === 'unknown') {
    // Refused credentials or rights are answered before git receives anything: nothing to settle.
    const url = await originOf(gitdir);
    const why = explainGitFailure(result.detail, {
      ...(url ? { url } : {}),
      ...(process.env['CCR_USER'] ? { user: process.env['CCR_USER'] } : {}),
    });
    if (why && /credentials|does not let|no record/.test(why.message))
      return {
        ok: false,
        value: { ...result, commit: head, error: why },
        text: `${why.message}; nothing was pushed`,
        refusedAtTheDoor: why.hint ? { hint: why.hint } : {},
      };
    if (!json) process.stderr.write(`ccr: the push ended without an answer (${result.detail}); checking the server…\n`);
    settled = await settlePush(o, head);
    if (settled === 'landed') result = { outcome: 'accepted' };
  }
  const text = {
    accepted: `pushed ${head.slice(0, 12)}${settled ? ' (confirmed by fetching)' : ''}${result.outcome === 'accepted' && result.receipt ? `\nthe server's signed receipt (ccr receipt verify checks it):\n${result.receipt}` : ''}`,
    refused: `refused by the server:\n${result.outcome === 'refused' ? result.lines.join('\n') : ''}`,
    behind: 'main moved on the server: run ccr pull, then ccr push',
    unknown:
      settled === 'missing'
        ? 'the server does not have your commits: run ccr push again'
        : 'the server could not be reached to confirm: run ccr push again later (nothing is written twice)',
  }[result.outcome];
  return {
    ok: result.outcome === 'accepted',
    value: { ...result, commit: head, ...(settled ? { settled } : {}) },
    text,
  };
}
