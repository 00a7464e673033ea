// `ccr clone`, `ccr push`, `ccr pull`: plain git with the user's own credentials (or CCR_USER and
// CCR_TOKEN), and line endings kept as the record has them.

import { gitDirOf } from './verify.js';
import { UsageError, type Command } from './args.js';
import { gitForUser } from './workingCopy.js';
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

export const push = plain(['push', 'origin', 'main'], 'ccr push');
export const pull = plain(['pull', '--ff-only', 'origin', 'main'], 'ccr pull');
