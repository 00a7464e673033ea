// `ccr verify <path>`: replay every commit of `main` of a clone or bare repository through the
// rules, print one line per violation, a summary, what could not be verified offline, and exit
// 0 (clean), 1 (a rule broken) or 3 (clean as far as the repository allows, but incomplete).

import { readFileSync } from 'node:fs';
import { formatFinding } from '../core/findings.js';
import { parseCommit, type Oid } from '../core/objects.js';
import { signatureStatus, type SignatureStatus } from '../core/rules/signature.js';
import { WithoutObjects, type ObjectSource } from '../core/source.js';
import { parseAllowedSigners, type AllowedSigner } from '../core/ssh/allowedSigners.js';
import { verifyHistory, type VerifyReport } from '../core/verify.js';
import { CatFileSource } from '../git/catfile.js';
import { cloneShape, offlineEnv, OFFLINE, type CloneShape } from '../git/cloneShape.js';
import { gitMergeBase } from '../git/mergeBase.js';
import { oidsOfLine } from '../git/oidLines.js';
import { git, gitEnv, runGit } from '../git/run.js';
import { out, str, UsageError, type Command } from './args.js';
import { warnTokensInRemotes } from './credentials.js';
import { gitDirOf } from './gitDir.js';

/** The commits of `main` in a repository, oldest first, with their parents. */
export async function mainHistory(
  gitdir: string,
  env: NodeJS.ProcessEnv = gitEnv(),
): Promise<Array<{ oid: Oid; parents: Oid[] }>> {
  const text = await git(
    ['--git-dir', gitdir, 'rev-list', '--topo-order', '--reverse', '--parents', 'refs/heads/main'],
    { env },
  );
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [oid, ...parents] = oidsOfLine(l, 'git rev-list');
      return { oid: oid!, parents };
    });
}

/** Exit status when nothing wrong was found in what could be judged, but not everything could be. */
export const EXIT_INCOMPLETE = 3;

const short = (oid: string) => oid.slice(0, 12);

/**
 * A line safe for the auditor's terminal: names in a hostile repository may hold escape sequences
 * or bidirectional controls, shown here as `\u001b` instead of acting on the terminal.
 */
export function printable(line: string): string {
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, escape);
}

/** What a shallow or partial clone, or commits that could not be judged, leave unverified, in words. */
export function incompleteness(shape: CloneShape, report: VerifyReport): string[] {
  const lines: string[] = [];
  if (shape.shallow.length > 0) {
    lines.push(
      `this is a shallow clone: the history before ${shape.shallow.map(short).join(', ')} is not in it, ` +
        "so the record's first commit and every commit before that were not judged (run git fetch --unshallow, then verify again)",
    );
  }
  if (shape.missing.size > 0) {
    lines.push(
      `this is a partial clone (${shape.promisors.join('; ')}): ${shape.missing.size} objects of main's history were left out ` +
        'when it was cloned and are not fetched, as ccr verify never uses the network; clone without --filter to verify everything',
    );
  }
  if (report.recordIdFrom) {
    lines.push(
      `the first commit's COORDINATION_STATUS.yaml is not here: the record id was read from commit ${short(report.recordIdFrom)}`,
    );
  }
  for (const u of report.unjudged.slice(0, 10)) {
    lines.push(`commit ${u.commit} was not judged: it needs object ${u.missing}, which this repository does not hold`);
  }
  if (report.unjudged.length > 10)
    lines.push(`… and ${report.unjudged.length - 10} more commits were not judged for the same reason`);
  if (report.cameIntoView) {
    lines.push("this is a participant's view (SPEC 12): it holds only the threads its reader takes part in");
  }
  for (const c of report.cameIntoView ?? []) {
    lines.push(
      `commit ${c.commit} was not judged: thread ${c.threads.join(', ')} came into this view there, ` +
        'its history before that out of sight',
    );
  }
  return lines;
}

/** The summary line: FAILED, INCOMPLETE or ok. */
function summaryOf(report: VerifyReport, errors: number, complete: boolean, ms: number): string {
  const record = `${report.cameIntoView ? 'a view of record' : 'record'} ${report.recordId ?? '(unknown)'}`;
  if (errors > 0) {
    const bad = new Set(report.findings.filter((f) => f.severity === 'error').map((f) => f.commit)).size;
    const judged = complete ? '' : ` (${report.judged} judged)`;
    const violations = `${errors} violation${errors === 1 ? '' : 's'}`;
    return `FAILED: ${violations} in ${bad} of ${report.commits} commits of ${record}${judged}`;
  }
  if (complete) return `ok: ${report.commits} commits of ${record} keep every rule (${ms} ms)`;
  return (
    `INCOMPLETE: ${report.judged} of ${report.commits} commits of ${record} judged here keep every rule; ` +
    'the rest could not be verified offline'
  );
}

/** The entries of an allowed signers file given to --allowed-signers; UsageError with the line at fault. */
function readAllowedSigners(file: string): AllowedSigner[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the allowed signers file ${file}: ${(e as Error).message}`);
  }
  const parsed = parseAllowedSigners(text);
  if (!parsed.ok) {
    const hint = 'fetch it again from GET /api/allowed-signers';
    throw new UsageError(`${file} line ${parsed.line}: ${parsed.reason}`, hint);
  }
  return parsed.entries;
}

/** Each commit's signature against the allowed signers (commits whose objects are not here are left out). */
async function signatureReport(
  source: ObjectSource,
  commits: Array<{ oid: Oid }>,
  signers: AllowedSigner[],
): Promise<Array<{ commit: Oid } & SignatureStatus>> {
  const out: Array<{ commit: Oid } & SignatureStatus> = [];
  for (const { oid } of commits) {
    const o = await source.read(oid).catch(() => null);
    const c = o?.type === 'commit' ? parseCommit(o.content) : null;
    if (o && c) out.push({ commit: oid, ...signatureStatus(o.content, c.committer.timestamp, signers) });
  }
  return out;
}

/** The signature lines and summary of `--allowed-signers`. */
function signatureLines(report: Array<{ commit: Oid } & SignatureStatus>): string[] {
  const count = (s: SignatureStatus['status']) => report.filter((r) => r.status === s).length;
  return [
    ...report.flatMap((r) => (r.status === 'good' ? [] : [`${r.commit} signature ${r.status}: ${r.reason}`])),
    `signatures: ${count('good')} good, ${count('unsigned')} unsigned, ${count('unknown')} by unknown keys, ` +
      `${count('bad')} bad`,
  ];
}

export const verify: Command = {
  help: `ccr verify [<path>] [--json] [--allowed-signers FILE]

Replay every commit of main (a clone or a bare repository; default: this folder) through the
same rules the server runs, and print one line per violation with commit, rule id and path.
Who pushed (principals) and the server clock are known only to the server and are not judged.
Replace refs and grafts are ignored: the history judged is the one stored. The network is never
used: in a shallow or partial clone, commits that need objects it does not hold are listed as
not judged, and the report says what could not be verified.
Exit status 0 when the whole history is clean, 1 when a rule is broken, 3 when nothing wrong
was found but part of the history could not be judged here.
A participant's clone holds its view of the record, only the threads it takes part in (the
server serves it the same way as the record; nothing in the clone tells them apart): verify it
with --view. A view is never complete (exit status 3 at best); a commit where a thread came into
the view whole, its history before out of sight, is listed as not judged instead of refused.

With --allowed-signers FILE (from GET /api/allowed-signers), every commit's SSH signature is also
checked as \`git verify-commit\` would (window at the commit time): unsigned commits and unknown
keys are listed; a signature that does not verify or is outside its key's window is a violation.

Example:
  ccr verify /srv/audit/7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88
  ccr verify --view ~/records/my-care`,
  options: { view: { type: 'boolean' }, 'allowed-signers': { type: 'string' } },
  async run(v, [path = '.']) {
    const json = v['json'] === true;
    const allowedFile = str(v['allowed-signers']);
    const signers = allowedFile === undefined ? undefined : readAllowedSigners(allowedFile);
    const gitdir = await gitDirOf(path);
    await warnTokensInRemotes(gitdir);
    const env = offlineEnv();
    const main = await runGit(['--git-dir', gitdir, 'rev-parse', '--verify', '--quiet', 'refs/heads/main^{commit}'], {
      env,
    });
    if (main.code !== 0)
      throw new UsageError(`${path} has no branch main: expected a clone or bare repository of a CCR record`);
    const shape = await cloneShape(gitdir, 'refs/heads/main');
    const commits = await mainHistory(gitdir, env);
    const store = new CatFileSource(gitdir, OFFLINE);
    const source = shape.missing.size > 0 ? new WithoutObjects(store, shape.missing) : store;
    const started = Date.now();
    let shown = 0;
    try {
      const report = await verifyHistory(source, commits, {
        mergeBase: gitMergeBase(gitdir, env),
        shallow: new Set(shape.shallow),
        view: v['view'] === true,
        progress: (done, total) => {
          if (!json && total >= 1000 && (Date.now() - shown > 1000 || done === total)) {
            shown = Date.now();
            process.stderr.write(`ccr verify: ${done}/${total} commits\r${done === total ? '\n' : ''}`);
          }
        },
      });
      const errors = report.findings.filter((f) => f.severity === 'error');
      const signatures = signers ? await signatureReport(source, commits, signers) : undefined;
      const badSignatures = signatures?.filter((s) => s.status === 'bad').length ?? 0;
      const missing = incompleteness(shape, report);
      const complete = missing.length === 0;
      const { skipped, ...rest } = report;
      const extra = {
        shallow: shape.shallow,
        promisors: shape.promisors,
        missingObjects: shape.missing.size,
        notVerifiable: missing,
      };
      const ok = errors.length === 0 && badSignatures === 0;
      out(
        json,
        { ...rest, ok, complete, ...extra, skipped, ...(signatures ? { signatures } : {}) },
        [
          ...errors.map(({ commit, ...f }) => `${commit} ${formatFinding(f)}`),
          summaryOf(report, errors.length, complete, Date.now() - started),
          ...(signatures ? signatureLines(signatures) : []),
          ...missing.map((s) => `not verifiable here: ${s}`),
          ...skipped.map((s) => `not judged offline: ${s}`),
        ]
          .map(printable)
          .join('\n'),
      );
      if (errors.length > 0 && !report.cameIntoView && !json) {
        process.stderr.write(
          "hint: a participant's clone of its view of a record is verified with " + 'ccr verify --view\n',
        );
      }
      return !ok ? 1 : complete ? 0 : EXIT_INCOMPLETE;
    } finally {
      store.close();
    }
  },
};
