// `ccr verify <path>`: replay every commit of `main` of a clone or bare repository through the
// rules, print one line per violation, a summary, and exit 0 (clean) or 1.

import { realpathSync } from 'node:fs';
import { formatFinding } from '../core/findings.js';
import type { Oid } from '../core/objects.js';
import { verifyHistory } from '../core/verify.js';
import { CatFileSource } from '../git/catfile.js';
import { gitMergeBase } from '../git/mergeBase.js';
import { git, gitEnv } from '../git/run.js';
import { GitFailure } from '../core/errors.js';
import { out, UsageError, type Command } from './args.js';
import { warnTokensInRemotes } from './credentials.js';

/** The commits of `main` in a repository, oldest first, with their parents. */
export async function mainHistory(gitdir: string): Promise<Array<{ oid: Oid; parents: Oid[] }>> {
  const text = await git(['--git-dir', gitdir, 'rev-list', '--topo-order', '--reverse', '--parents', 'refs/heads/main']);
  return text.trim().split('\n').filter(Boolean).map((l) => {
    const [oid, ...parents] = l.split(' ') as Oid[];
    return { oid: oid!, parents };
  });
}

/** The git directory of a clone or bare repository path. */
export async function gitDirOf(path: string): Promise<string> {
  // Only git's own refusal means "not a repository"; git missing from PATH is said as such (cli/explain.ts).
  const dir = (await git(['-C', path, 'rev-parse', '--absolute-git-dir']).catch((e: unknown) => {
    if (e instanceof GitFailure) return '';
    throw e;
  })).trim();
  if (!dir) throw new UsageError(`${path} is not a git repository, so not a CCR working copy`, 'run ccr in a clone of a record (ccr clone <server-url> <record-id>), or give the path of one');
  return realpathSync(dir);
}

export const verify: Command = {
  help: `ccr verify [<path>] [--json]

Replay every commit of main (a clone or a bare repository; default: this folder) through the
same rules the server runs, and print one line per violation with commit, rule id and path.
Who pushed (principals) and the server clock are known only to the server and are not judged.
Exit status 0 when the history is clean, 1 when it is not.

Example:
  ccr verify /srv/audit/7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88`,
  options: {},
  async run(v, [path = '.']) {
    const json = v['json'] === true;
    const gitdir = await gitDirOf(path);
    await warnTokensInRemotes(gitdir);
    const commits = await mainHistory(gitdir);
    const source = new CatFileSource(gitdir);
    const started = Date.now();
    let shown = 0;
    try {
      const report = await verifyHistory(source, commits, {
        mergeBase: gitMergeBase(gitdir, gitEnv()),
        progress: (done, total) => {
          if (!json && total >= 1000 && (Date.now() - shown > 1000 || done === total)) {
            shown = Date.now();
            process.stderr.write(`ccr verify: ${done}/${total} commits\r${done === total ? '\n' : ''}`);
          }
        },
      });
      const errors = report.findings.filter((f) => f.severity === 'error');
      const bad = new Set(errors.map((f) => f.commit)).size;
      const summary = errors.length === 0
        ? `ok: ${report.commits} commits of record ${report.recordId} keep every rule (${Date.now() - started} ms)`
        : `FAILED: ${errors.length} violation${errors.length === 1 ? '' : 's'} in ${bad} of ${report.commits} commits of record ${report.recordId ?? '(unknown)'}`;
      out(json, { ...report, ok: errors.length === 0 }, [
        ...errors.map(({ commit, ...f }) => `${commit} ${formatFinding(f)}`),
        summary,
        ...report.skipped.map((s) => `not judged offline: ${s}`),
      ].join('\n'));
      return errors.length === 0 ? 0 : 1;
    } finally {
      source.close();
    }
  },
};
