// `ccr clone`, `ccr push`, `ccr pull`: plain git with the user's own credentials (or CCR_USER and
// CCR_TOKEN), and line endings kept as the record has them.

import { pushMain, settlePush } from '../git/remote.js';
import { runGit } from '../git/run.js';
import { gitDirOf } from './verify.js';
import { out, UsageError, type Command } from './args.js';
import { gitForUser, userGitArgs } from './workingCopy.js';
import { isUuid } from '../core/ids.js';

export const clone: Command = {
  help: `ccr clone <server-url> <record-id> [<folder>]

Clone record <record-id> from a CCR server into <folder> (default: the record id). Credentials
come from git's credential helpers, or from CCR_USER and CCR_TOKEN when both are set.

Example:
  CCR_USER=jane CCR_TOKEN=ccr_… ccr clone https://ccr.example.org 7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88`,
  options: {},
  async run(_v, [server, id, folder]) {
    if (!server || !id) throw new UsageError('ccr clone needs a server URL and a record id');
    if (!isUuid(id)) throw new UsageError('the record id is a canonical lowercase UUID');
    const url = `${server.replace(/\/+$/, '')}/coordination/${id}.git`;
    return gitForUser(['clone', '-c', 'core.autocrlf=false', '-c', 'core.eol=lf', url, folder ?? id], process.cwd());
  },
};

/** A command that runs one git command in the working copy. */
function plain(args: string[], example: string): Command {
  return {
    help: `ccr ${args[0]}\n\nRuns git ${args.join(' ')} with your credentials (or CCR_USER and CCR_TOKEN).\nThe server judges every pushed commit; a refusal lists each rule broken.\n\nExample:\n  ${example}`,
    options: {},
    async run() {
      const dir = (await gitDirOf('.')).replace(/\/\.git$/, '');
      return gitForUser(args, dir);
    },
  };
}

export const push: Command = {
  help: `ccr push

Push your new commits to the server, with your credentials (or CCR_USER and CCR_TOKEN). The server
judges every commit; a refusal lists each rule broken. When the connection fails in a way that
does not say whether the server took the commits, ccr fetches to find out: a message is never
written twice.

Example:
  ccr push`,
  options: {},
  async run(v) {
    const json = v['json'] === true;
    const dir = (await gitDirOf('.')).replace(/\/\.git$/, '');
    const o = { dir, env: process.env, gitArgs: userGitArgs() };
    const head = (await runGit(['rev-parse', 'HEAD'], { cwd: dir, env: process.env })).stdout.toString().trim();
    let result = await pushMain(o);
    let settled: string | undefined;
    if (result.outcome === 'unknown') {
      if (!json) process.stderr.write(`ccr: the push ended without an answer (${result.detail}); checking the server…\n`);
      settled = await settlePush(o, head);
      if (settled === 'landed') result = { outcome: 'accepted' };
    }
    const text = {
      accepted: `pushed ${head.slice(0, 12)}${settled ? ' (confirmed by fetching)' : ''}`,
      refused: `refused by the server:\n${result.outcome === 'refused' ? result.lines.join('\n') : ''}`,
      behind: 'main moved on the server: run ccr pull, then ccr push',
      unknown: settled === 'missing' ? 'the server does not have your commits: run ccr push again' : 'the server could not be reached to confirm: run ccr push again later (nothing is written twice)',
    }[result.outcome];
    out(json, { ...result, commit: head, ...(settled ? { settled } : {}) }, text);
    return result.outcome === 'accepted' ? 0 : 1;
  },
};
export const pull = plain(['pull', '--ff-only', 'origin', 'main'], 'ccr pull');
