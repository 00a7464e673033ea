// Judging a push (SPEC 8): the ref rules for every ref line, then every new commit of `main`,
// oldest first, against its parent with the core rules and the server-only ones (principal,
// clock). Objects are read from the push's quarantine through git itself. Each ref is judged
// from its own inputs; nothing carries over from one ref to another.

import { EvaluationCache, evaluateCommit } from '../core/evaluate.js';
import { error, ruleIds, type Finding } from '../core/findings.js';
import type { RecordId } from '../core/ids.js';
import { isOid, type Oid } from '../core/objects.js';
import type { Principal } from '../core/principal.js';
import { CatFileSource } from '../git/catfile.js';
import { MAIN } from '../git/refs.js';
import { runGit } from '../git/run.js';
import type { HookCall, RefUpdate } from './hookEndpoint.js';

const ZERO = '0'.repeat(40);

/** Everything the validator judges a push from. */
export interface PushInput {
  gitdir: string;
  recordId: RecordId;
  principal: Principal;
  env: HookCall['env'];
  updates: RefUpdate[];
  /** Server time in ms. */
  now: number;
  /** The environment of the server's git (its configuration). */
  gitEnv: NodeJS.ProcessEnv;
  /** Judge commit contents; false keeps only the ref rules (a benchmark baseline). */
  content: boolean;
  /** The most commits one push may bring. */
  maxCommits: number;
}

/** The verdict of a push: findings (none means accept) and how many commits were judged. */
export interface PushVerdict {
  findings: Finding[];
  commits: number;
}

/** The new commits of an update, oldest first, or a finding when it is not a fast-forward. */
async function newCommits(input: PushInput, u: RefUpdate): Promise<{ commits: Oid[] } | { finding: Finding }> {
  const r = await runGit(['--git-dir', input.gitdir, 'rev-list', '--topo-order', '--reverse', '--parents', `--max-count=${input.maxCommits + 1}`, u.new, `^${u.old}`],
    { env: { ...input.gitEnv, ...input.env } });
  if (r.code !== 0) throw new Error(`git rev-list failed: ${r.stderr.trim()}`);
  const lines = r.stdout.toString('utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' '));
  if (lines.length > input.maxCommits) return { finding: error(ruleIds.refFastForward, `expected at most ${input.maxCommits} new commits in one push, found more`) };
  if (lines.length === 0 || !lines.some((l) => l.slice(1).includes(u.old))) {
    return { finding: error(ruleIds.refFastForward, `expected a fast-forward of main from ${u.old.slice(0, 12)}, found a history that does not contain it (fetch, rebase your new commits on main, and push again)`) };
  }
  return { commits: lines.map((l) => l[0] as Oid) };
}

/** Judge one ref update on its own. */
async function judgeUpdate(input: PushInput, u: RefUpdate): Promise<PushVerdict> {
  const at = (f: Finding): Finding => ({ ...f, path: f.path ?? u.ref });
  if (u.ref !== MAIN) return { findings: [at(error(ruleIds.refName, `expected only ${MAIN} to change, found ${u.ref}`))], commits: 0 };
  if (u.new === ZERO) return { findings: [at(error(ruleIds.refDelete, `expected ${MAIN} never to be deleted`))], commits: 0 };
  if (u.old === ZERO) return { findings: [at(error(ruleIds.refCreate, `expected ${MAIN} to exist already: records are created by the server, not by a push`))], commits: 0 };
  if (!isOid(u.old) || !isOid(u.new)) return { findings: [at(error(ruleIds.refName, 'expected full object ids in the update'))], commits: 0 };
  const walk = await newCommits(input, u);
  if ('finding' in walk) return { findings: [at(walk.finding)], commits: 0 };
  if (!input.content) return { findings: [], commits: walk.commits.length };
  const source = new CatFileSource(input.gitdir, { ...input.gitEnv, ...input.env });
  try {
    const cache = new EvaluationCache();
    const findings: Finding[] = [];
    for (const oid of walk.commits) {
      const found = await evaluateCommit(source, oid, { recordId: input.recordId, now: input.now, principal: input.principal, cache });
      findings.push(...found);
      // Later commits build on a refused one; their findings would only repeat it.
      if (found.some((f) => f.severity === 'error')) break;
    }
    return { findings, commits: walk.commits.length };
  } finally {
    source.close();
  }
}

/** Judge every ref update of a push; the push is accepted only if no update has an error. */
export async function judgePush(input: PushInput): Promise<PushVerdict> {
  if (input.principal.kind === 'auditor') return { findings: [error(ruleIds.whoWrite, 'expected no pushes from an auditor')], commits: 0 };
  const verdicts = await Promise.all(input.updates.map((u) => judgeUpdate(input, u)));
  return { findings: verdicts.flatMap((v) => v.findings), commits: verdicts.reduce((n, v) => n + v.commits, 0) };
}
