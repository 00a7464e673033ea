// One sync round for one record with one peer (SPEC 10), over plain git: fetch the peer's `main`
// into a private ref, refuse a history that dropped what both sites last agreed on, judge the
// peer's new commits with the offline verifier's rules, then fast-forward, push, or build the
// deterministic merge and push it. Local `main` only ever moves by compare-and-swap under the
// record lock, and only to a commit the rules accept; network work happens outside the lock.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { evaluateCommit, EvaluationCache } from '../core/evaluate.js';
import { formatFinding, type Finding } from '../core/findings.js';
import type { RecordId } from '../core/ids.js';
import { buildSyncMerge } from '../core/mergeCommit.js';
import { parseCommit, type Oid } from '../core/objects.js';
import { parseCommitMessage } from '../core/commitMessage.js';
import { readStatus } from '../core/status.js';
import { STATUS_FILE } from '../core/rules/tree.js';
import { CatFileSource } from '../git/catfile.js';
import { withRecordLock } from '../git/lock.js';
import { gitIsAncestor, gitMergeBase } from '../git/mergeBase.js';
import { MAIN, compareAndSwapRef, readRef } from '../git/refs.js';
import type { Repository } from '../git/repository.js';
import { runGit } from '../git/run.js';
import { writeObjects } from '../git/store.js';
import { tokenOf, type Peer } from './peers.js';

/** How a round ended. */
export type Outcome =
  | 'in-sync' | 'pushed' | 'fast-forwarded' | 'merged' | 'created-at-peer'
  | 'refused-rewrite' | 'refused-invalid' | 'refused-unrelated' | 'conflict' | 'retry' | 'peer-down' | 'failed';

/** The report of a round. */
export interface RoundReport {
  record: string;
  peer: string;
  outcome: Outcome;
  /** `main` here after the round. */
  main: string | null;
  detail?: string;
  findings?: Finding[];
}

/** What a round needs from the server (or the `ccr sync` command). */
export interface SyncContext {
  /** The environment of the server's git (its configuration). */
  gitEnv: NodeJS.ProcessEnv;
  /** Network operations past this are abandoned (ms). */
  timeoutMs: number;
}

const NOT_FOUND = /not found|404/i;
const refs = (peer: Peer) => ({ incoming: `refs/ccr/peers/${peer.name}/incoming`, synced: `refs/ccr/peers/${peer.name}/synced` });

/** git with the peer's credentials, from the environment (never in the arguments). */
function peerGit(ctx: SyncContext, peer: Peer, args: string[]) {
  const helper = '!f() { echo "username=$CCR_PEER_USER"; echo "password=$CCR_PEER_TOKEN"; }; f';
  return runGit(['-c', 'credential.helper=', '-c', `credential.helper=${helper}`, ...args], {
    env: { ...ctx.gitEnv, CCR_PEER_USER: peer.user, CCR_PEER_TOKEN: tokenOf(peer), GIT_TERMINAL_PROMPT: '0', ...(peer.ca ? { GIT_SSL_CAINFO: peer.ca } : {}) },
    timeoutMs: ctx.timeoutMs,
  });
}

/** A JSON request to the peer's API with its site credentials. */
function peerApi(ctx: SyncContext, peer: Peer, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, peer.url.replace(/\/?$/, '/'));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method, timeout: ctx.timeoutMs, ...(peer.ca ? { ca: readFileSync(peer.ca) } : {}),
      headers: { Authorization: `Basic ${Buffer.from(`${peer.user}:${tokenOf(peer)}`).toString('base64')}`, 'Content-Type': 'application/json' },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function isAncestor(ctx: SyncContext, repo: Repository, a: string, b: string): Promise<boolean> {
  return gitIsAncestor(repo.gitdir, ctx.gitEnv)(a as Oid, b as Oid);
}

/** Create the record at the peer with a first commit identical to ours (same id, same bytes). */
async function createAtPeer(ctx: SyncContext, repo: Repository, peer: Peer, id: RecordId): Promise<string | null> {
  const roots = (await runGit(['--git-dir', repo.gitdir, 'rev-list', '--max-parents=0', MAIN], { env: ctx.gitEnv })).stdout.toString().trim().split('\n');
  const root = roots[0] as Oid;
  const commit = parseCommit((await repo.source.read(root))!.content);
  const status = await repo.readFile(root, STATUS_FILE);
  const parsed = status ? readStatus(status) : null;
  const message = commit ? parseCommitMessage(commit.message) : null;
  if (!commit || !parsed?.ok || !message?.ok) return `our first commit ${root} was not written by CCR and cannot be re-created at the peer`;
  const r = await peerApi(ctx, peer, 'POST', '/api/records', {
    coordination_id: id, clinical_id: parsed.value.clinical_id, care_location: message.value.careLocation,
    root: { name: commit.author.name, email: commit.author.email, time: commit.author.timestamp, commit: root },
  });
  return r.status === 201 ? null : `the peer refused to create the record (${r.status} ${r.body.slice(0, 200)})`;
}

/** Push `sha` as the peer's main; null when it landed, else the peer's refusal. */
async function pushToPeer(ctx: SyncContext, repo: Repository, peer: Peer, id: RecordId, sha: string): Promise<string | null> {
  const r = await peerGit(ctx, peer, ['--git-dir', repo.gitdir, 'push', '--porcelain', `${peer.url.replace(/\/$/, '')}/coordination/${id}.git`, `${sha}:${MAIN}`]);
  return r.code === 0 ? null : (r.stderr.split('\n').filter((l) => l.startsWith('remote:') || l.includes('rejected')).join('\n') || r.stderr.trim()).slice(0, 2000);
}

/** Judge the commits the peer has and we do not, oldest first. */
async function judgeIncoming(ctx: SyncContext, repo: Repository, id: RecordId, from: string, to: string): Promise<Finding[]> {
  const list = (await runGit(['--git-dir', repo.gitdir, 'rev-list', '--topo-order', '--reverse', to, `^${from}`], { env: ctx.gitEnv })).stdout.toString().trim().split('\n').filter(Boolean);
  const source = new CatFileSource(repo.gitdir);
  try {
    const cache = new EvaluationCache();
    const mergeBase = gitMergeBase(repo.gitdir, ctx.gitEnv);
    for (const oid of list) {
      const errors = (await evaluateCommit(source, oid as Oid, { recordId: id, cache, mergeBase })).filter((f) => f.severity === 'error');
      if (errors.length > 0) return errors;
    }
    return [];
  } finally {
    source.close();
  }
}

/** Move our main from `from` to `to` if it is still at `from`. */
async function moveMain(repo: Repository, from: string, to: string): Promise<boolean> {
  return withRecordLock(repo.gitdir, () => compareAndSwapRef(repo.gitdir, MAIN, to as Oid, from as Oid));
}

/** One round for one record with one peer. Never throws for the peer's or the network's faults. */
export async function syncRecord(ctx: SyncContext, repo: Repository, peer: Peer, id: RecordId): Promise<RoundReport> {
  const report = (outcome: Outcome, main: string | null, more: Partial<RoundReport> = {}): RoundReport => ({ record: id, peer: peer.name, outcome, main, ...more });
  const { incoming, synced } = refs(peer);
  const url = `${peer.url.replace(/\/$/, '')}/coordination/${id}.git`;
  let local = await repo.head();
  if (!local) return report('failed', null, { detail: 'the record has no main here' });

  let fetched = await peerGit(ctx, peer, ['--git-dir', repo.gitdir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', url, `+${MAIN}:${incoming}`]);
  if (fetched.code !== 0 && NOT_FOUND.test(fetched.stderr)) {
    const why = await createAtPeer(ctx, repo, peer, id).catch((e: Error) => e.message);
    if (why) return report('failed', local, { detail: why });
    fetched = await peerGit(ctx, peer, ['--git-dir', repo.gitdir, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', url, `+${MAIN}:${incoming}`]);
    if (fetched.code === 0) {
      const pushed = await pushToPeer(ctx, repo, peer, id, local);
      if (pushed) return report('failed', local, { detail: pushed });
      await compareAndSwapRef(repo.gitdir, synced, local, await readRef(repo.gitdir, synced));
      return report('created-at-peer', local);
    }
  }
  if (fetched.code !== 0) return report('peer-down', local, { detail: fetched.stderr.trim().split('\n').pop() ?? `git exited ${fetched.code}` });
  const theirs = await readRef(repo.gitdir, incoming);
  const agreed = await readRef(repo.gitdir, synced);
  if (!theirs) return report('failed', local, { detail: 'the fetch gave no main' });
  if (theirs === local && agreed === local) return report('in-sync', local);
  if (agreed && agreed !== theirs && !(await isAncestor(ctx, repo, agreed, theirs))) {
    return report('refused-rewrite', local, { detail: `the peer's main ${theirs.slice(0, 12)} does not contain ${agreed.slice(0, 12)}, which both sites held: its history was rewritten` });
  }
  const agree = async (sha: string, outcome: Outcome) => {
    await compareAndSwapRef(repo.gitdir, synced, sha as Oid, agreed);
    return report(outcome, sha);
  };
  if (theirs === local) return agree(local, 'in-sync');
  if (await isAncestor(ctx, repo, theirs, local)) {
    const refused = await pushToPeer(ctx, repo, peer, id, local);
    return refused ? report('retry', local, { detail: refused }) : agree(local, 'pushed');
  }
  const base = await gitMergeBase(repo.gitdir, ctx.gitEnv)(local as Oid, theirs);
  if (!base) return report('refused-unrelated', local, { detail: 'the peer holds a record with this id but an unrelated history' });
  const findings = await judgeIncoming(ctx, repo, id, local, theirs);
  if (findings.length > 0) return report('refused-invalid', local, { findings, detail: findings.map(formatFinding).slice(0, 5).join('\n') });
  if (base === local) {
    return (await moveMain(repo, local, theirs)) ? agree(theirs, 'fast-forwarded') : report('retry', await repo.head(), { detail: 'main moved during the round' });
  }
  const merge = await buildSyncMerge(repo.source, local as Oid, theirs, base);
  if (!merge.ok) return report('conflict', local, { detail: merge.conflict });
  await writeObjects(repo.gitdir, merge.value.objects);
  if (!(await moveMain(repo, local, merge.value.oid))) return report('retry', await repo.head(), { detail: 'main moved during the round' });
  local = merge.value.oid;
  const refused = await pushToPeer(ctx, repo, peer, id, local);
  return refused ? report('retry', local, { detail: refused }) : agree(local, 'merged');
}
