// One sync round for one record with one peer (SPEC 10), over plain git: ask the peer for its
// `main` and, unless we hold it already, fetch it into a scratch repository (sync/incoming.ts,
// capped like a push), refuse a history that dropped
// what both sites last agreed on, judge the peer's new commits with the rules and the server clock
// as a push is judged, then bring them in and fast-forward, push, or build the deterministic merge
// and push it. Local `main` only ever moves by compare-and-swap under the record lock, and only to
// a commit the rules accept; network work happens outside the lock, within the round's deadline.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { formatFinding, type Finding } from '../core/findings.js';
import type { RecordId } from '../core/ids.js';
import { buildSyncMerge, type MergeBuild } from '../core/mergeCommit.js';
import { isOid, parseCommit, parseOid, type Oid } from '../core/objects.js';
import { parseCommitMessage } from '../core/commitMessage.js';
import { readStatus } from '../core/status.js';
import { STATUS_FILE } from '../core/layout.js';
import { withRecordLock } from '../git/lock.js';
import { gitIsAncestor, gitMergeBase } from '../git/mergeBase.js';
import { MAIN, compareAndSwapRef, readRef } from '../git/refs.js';
import type { Repository } from '../git/repository.js';
import { runGit } from '../git/run.js';
import type { CommitSigner } from '../git/build.js';
import { extractCommitSignature } from '../core/ssh/commitSignature.js';
import { hashObject } from '../core/objects.js';
import { writeObjects } from '../git/store.js';
import { Scratch } from './incoming.js';
import { decideRound, type RoundFacts } from './decide.js';
import { judgeIncoming, type IncomingInput } from './judgeIncoming.js';
import { tokenOf, type Peer } from './peers.js';

/** How a round ended. */
export type Outcome =
  | 'in-sync'
  | 'pushed'
  | 'fast-forwarded'
  | 'merged'
  | 'created-at-peer'
  | 'refused-rewrite'
  | 'refused-invalid'
  | 'refused-unrelated'
  | 'refused-too-large'
  | 'conflict'
  | 'retry'
  | 'peer-down'
  | 'failed';

/** The report of a round. */
export interface RoundReport {
  record: string;
  peer: string;
  outcome: Outcome;
  /** `main` here after the round. */
  main: string | null;
  detail?: string;
  findings?: Finding[];
  /** For `retry`: the peer refused our push (its main moved, or its rules), not our main that moved. */
  refusedByPeer?: true;
  /**
   * This round moved `main` here (a fast-forward, or a merge, whether or not the peer then took
   * it): what reads `main` (the events feed, the "my records" index) must be told.
   */
  movedHere?: true;
}

/** What a round needs from the server (or the `ccr sync` command). */
export interface SyncContext {
  /** The environment of the server's git (its configuration). */
  gitEnv: NodeJS.ProcessEnv;
  /** A round's budget (ms): every network operation of a round ends by then, its git children killed. */
  timeoutMs: number;
  /** The most a peer may send in one round (bytes), as a push is capped; past it the fetch is killed. */
  maxFetchBytes: number;
  /** Where the peer's commits are judged: a server's validator threads; in this process if absent. */
  judge?: (input: IncomingInput) => Promise<{ findings: Finding[] }>;
  /** Signs the merges the round builds (the site key); unsigned without it (`ccr sync`). */
  signer?: CommitSigner;
}

/**
 * git's words for a peer that answered 404 (LC_ALL=C): only those, since the URL it quotes may
 * hold "404" too (a port, a record id), and a peer that is down must not be taken for one without
 * the record.
 */
const NOT_FOUND = /^fatal: repository '[^']*' not found$|The requested URL returned error: 404$/m;
const SYNCED = (peer: Peer) => `refs/ccr/peers/${peer.name}/synced`;
/** Where rounds before this version kept the peer's main: deleted, so nothing refused stays reachable. */
const OLD_INCOMING = (peer: Peer) => `refs/ccr/peers/${peer.name}/incoming`;

/** The time left of a round that ends at `deadline`, for the next operation (at least 1 ms). */
type Clock = () => number;

/** Scheme and host[:port] of a base URL, as git hands them to a credential helper. */
export function peerOrigin(url: string): { protocol: string; host: string } {
  const m = /^(https?):\/\/([^/?#]+)/.exec(url);
  if (!m) throw new Error(`not an http(s) URL: ${url}`);
  return { protocol: m[1]!, host: m[2]! };
}

/**
 * git options for talking to a peer: no redirects (a peer's 302 must not carry our token
 * elsewhere), a stalled transfer aborts on its own even if this process dies, and a credential
 * helper that answers only for the peer's own scheme and host. The credentials come from the
 * environment (`peerGitEnv`), never from the arguments.
 */
export function peerGitArgs(timeoutMs: number): string[] {
  const helper =
    '!f() { test "$1" = get || exit 0; p=; h=; while IFS= read -r l && test -n "$l"; do case "$l" in protocol=*) p=${l#protocol=};; ' +
    'host=*) h=${l#host=};; esac; done; test "$p" = "$CCR_PEER_PROTOCOL" && test "$h" = "$CCR_PEER_HOST" || exit 0; ' +
    'echo "username=$CCR_PEER_USER"; echo "password=$CCR_PEER_TOKEN"; }; f';
  return [
    '-c',
    'credential.helper=',
    '-c',
    `credential.helper=${helper}`,
    '-c',
    'http.followRedirects=false',
    '-c',
    'http.lowSpeedLimit=1',
    '-c',
    `http.lowSpeedTime=${Math.max(1, Math.ceil(timeoutMs / 1000))}`,
  ];
}

/** The environment of git talking to a peer: the server's configuration and the peer's credentials. */
export function peerGitEnv(ctx: Pick<SyncContext, 'gitEnv'>, peer: Peer): NodeJS.ProcessEnv {
  const { protocol, host } = peerOrigin(peer.url);
  return {
    ...ctx.gitEnv,
    CCR_PEER_USER: peer.user,
    CCR_PEER_TOKEN: tokenOf(peer),
    CCR_PEER_PROTOCOL: protocol,
    CCR_PEER_HOST: host,
    GIT_TERMINAL_PROMPT: '0',
    ...(peer.ca ? { GIT_SSL_CAINFO: peer.ca } : {}),
  };
}

/** git with the peer's credentials, killed with its children when the round's time is up. */
function peerGit(ctx: SyncContext, peer: Peer, left: Clock, args: string[]) {
  return runGit([...peerGitArgs(ctx.timeoutMs), ...args], { env: peerGitEnv(ctx, peer), timeoutMs: left() });
}

/** A JSON request to the peer's API with its site credentials; a redirect is an answer, never followed. */
function peerApi(
  ctx: SyncContext,
  peer: Peer,
  left: Clock,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, peer.url.replace(/\/?$/, '/'));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method,
        ...(peer.ca ? { ca: readFileSync(peer.ca) } : {}),
        headers: {
          Authorization: `Basic ${Buffer.from(`${peer.user}:${tokenOf(peer)}`).toString('base64')}`,
          'Content-Type': 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          if (text.length < 65536) text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // The whole exchange, not only idleness: a peer that answers a byte a second is cut off too.
    const timer = setTimeout(() => req.destroy(new Error('timed out')), left());
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Create the record at the peer with a first commit identical to ours (same id, same bytes). */
async function createAtPeer(
  ctx: SyncContext,
  repo: Repository,
  peer: Peer,
  left: Clock,
  id: RecordId,
): Promise<string | null> {
  const roots = (
    await runGit(['--git-dir', repo.gitdir, 'rev-list', '--max-parents=0', MAIN], { env: ctx.gitEnv })
  ).stdout
    .toString()
    .trim()
    .split('\n');
  const root = parseOid(roots[0]);
  if (root === null)
    return `our first commit ${roots[0] ?? ''} was not written by CCR and cannot be re-created at the peer`;
  const content = (await repo.source.read(root))!.content;
  const commit = parseCommit(content);
  const signature = extractCommitSignature(content).signature;
  const status = await repo.readFile(root, STATUS_FILE);
  const parsed = status ? readStatus(status) : null;
  const message = commit ? parseCommitMessage(commit.message) : null;
  if (!commit || !parsed?.ok || !message?.ok)
    return `our first commit ${root} was not written by CCR and cannot be re-created at the peer`;
  const r = await peerApi(ctx, peer, left, 'POST', '/api/records', {
    coordination_id: id,
    clinical_id: parsed.value.clinical_id,
    care_location: message.value.careLocation,
    root: {
      name: commit.author.name,
      email: commit.author.email,
      time: commit.author.timestamp,
      commit: root,
      ...(signature ? { signature: new TextDecoder().decode(signature) } : {}),
    },
  });
  return r.status === 201 ? null : `the peer refused to create the record (${r.status} ${r.body.slice(0, 200)})`;
}

/**
 * Push `sha` as the peer's main; null when it landed, else why not, and whether the peer answered
 * (refused it: its main moved, or its rules) or could not be reached (`answered` false).
 */
async function pushToPeer(
  ctx: SyncContext,
  repo: Repository,
  peer: Peer,
  left: Clock,
  id: RecordId,
  sha: string,
): Promise<{ why: string; answered: boolean } | null> {
  const r = await peerGit(ctx, peer, left, [
    '--git-dir',
    repo.gitdir,
    'push',
    '--porcelain',
    `${peer.url.replace(/\/$/, '')}/coordination/${id}.git`,
    `${sha}:${MAIN}`,
  ]);
  if (r.killed) return { why: 'the push to the peer timed out', answered: false };
  if (r.code === 0) return null;
  // git exits 1 when the peer refused a ref, 128 when it could not talk to the peer at all.
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('remote:') || l.includes('rejected'));
  return { why: (lines.join('\n') || r.stderr.trim()).slice(0, 2000), answered: r.code === 1 };
}

/** Makes the reports of a round for one record with one peer. */
type Reporter = (outcome: Outcome, main: string | null, more?: Partial<RoundReport>) => RoundReport;

function reporter(record: RecordId, peer: Peer): Reporter {
  return (outcome, main, more = {}) => ({ record, peer: peer.name, outcome, main, ...more });
}

/** The report of a round whose push did not land: refused by the peer, or the peer down. */
function notPushed(report: Reporter, main: Oid, push: { why: string; answered: boolean }): RoundReport {
  return push.answered
    ? report('retry', main, { detail: push.why, refusedByPeer: true })
    : report('peer-down', main, { detail: push.why });
}

/** Move our main from `from` to `to` if it is still at `from`. */
async function moveMain(repo: Repository, from: Oid, to: Oid): Promise<boolean> {
  return withRecordLock(repo.gitdir, () => compareAndSwapRef(repo.gitdir, MAIN, to, from));
}

/** One round for one record with one peer. Never throws for the peer's or the network's faults. */
export async function syncRecord(ctx: SyncContext, repo: Repository, peer: Peer, id: RecordId): Promise<RoundReport> {
  const report = reporter(id, peer);
  const local = await repo.head();
  if (!local) return report('failed', null, { detail: 'the record has no main here' });
  const deadline = Date.now() + ctx.timeoutMs;
  const left: Clock = () => Math.max(1, deadline - Date.now());
  const old = await readRef(repo.gitdir, OLD_INCOMING(peer));
  if (old) await runGit(['--git-dir', repo.gitdir, 'update-ref', '-d', OLD_INCOMING(peer), old], { env: ctx.gitEnv });
  const url = `${peer.url.replace(/\/$/, '')}/coordination/${id}.git`;

  // What the peer's main is, first: when we hold it already (the usual round), nothing is fetched.
  const listed = await peerGit(ctx, peer, left, ['--git-dir', repo.gitdir, 'ls-remote', url, MAIN]);
  if (listed.code !== 0 && !listed.killed && NOT_FOUND.test(listed.stderr)) {
    const why = await createAtPeer(ctx, repo, peer, left, id).catch((e: Error) => e.message);
    if (why) return report('failed', local, { detail: why });
    const pushed = await pushToPeer(ctx, repo, peer, left, id, local);
    if (pushed) return report('failed', local, { detail: pushed.why });
    await compareAndSwapRef(repo.gitdir, SYNCED(peer), local, await readRef(repo.gitdir, SYNCED(peer)));
    return report('created-at-peer', local);
  }
  if (listed.killed)
    return report('peer-down', local, { detail: `no answer from the peer within the round's ${ctx.timeoutMs} ms` });
  if (listed.code !== 0)
    return report('peer-down', local, {
      detail: listed.stderr.trim().split('\n').pop() ?? `git exited ${listed.code}`,
    });
  const tip = listed.stdout.toString().split('\t')[0];
  if (!isOid(tip)) return report('failed', local, { detail: 'the peer has no main' });
  if (tip === local || (await gitIsAncestor(repo.gitdir, ctx.gitEnv)(tip, local)))
    return settle(ctx, repo, peer, id, local, tip, null, left);

  const scratch = await Scratch.open(repo.gitdir, peer.name, ctx.gitEnv, [
    local,
    await readRef(repo.gitdir, SYNCED(peer)),
  ]);
  try {
    const fetched = await scratch.fetch(peerGitArgs(ctx.timeoutMs), url, ctx.maxFetchBytes, {
      env: peerGitEnv(ctx, peer),
      timeoutMs: left(),
    });
    if (fetched.tooLarge) {
      return report('refused-too-large', local, {
        detail: `the peer sent more than ${ctx.maxFetchBytes} bytes (${fetched.bytes} when the fetch was stopped); nothing of it was kept`,
      });
    }
    if (fetched.killed)
      return report('peer-down', local, { detail: `no answer from the peer within the round's ${ctx.timeoutMs} ms` });
    if (fetched.code !== 0)
      return report('peer-down', local, {
        detail: fetched.stderr.trim().split('\n').pop() ?? `git exited ${fetched.code}`,
      });
    const theirs = await scratch.tip();
    if (!theirs) return report('failed', local, { detail: 'the fetch gave no main' });
    return await settle(ctx, repo, peer, id, local, theirs, scratch, left);
  } finally {
    await scratch.remove();
  }
}

/**
 * The rest of a round once the peer's main (`theirs`) is known: held here already (`scratch`
 * null), or fetched into the scratch repository, where it is judged before anything of it enters
 * the record.
 */
async function settle(
  ctx: SyncContext,
  repo: Repository,
  peer: Peer,
  id: RecordId,
  local: Oid,
  theirs: Oid,
  scratch: Scratch | null,
  left: Clock,
): Promise<RoundReport> {
  const report = reporter(id, peer);
  const synced = SYNCED(peer);
  const where = scratch?.gitdir ?? repo.gitdir;
  const agreed = await readRef(repo.gitdir, synced);
  const isAncestor = gitIsAncestor(where, ctx.gitEnv);
  // The decision is sync/decide.ts's; this loop only answers the git questions it asks.
  const facts: RoundFacts = { local, theirs, agreed };
  let decision = decideRound(facts);
  for (; decision.kind === 'ask'; decision = decideRound(facts)) {
    switch (decision.question) {
      case 'agreedInTheirs':
        facts.agreedInTheirs = agreed !== null && (await isAncestor(agreed, theirs));
        break;
      case 'theirsInLocal':
        facts.theirsInLocal = await isAncestor(theirs, local);
        break;
      case 'base':
        facts.base = await gitMergeBase(where, ctx.gitEnv)(local, theirs);
        break;
      case 'findings': {
        const judged = {
          kind: 'incoming',
          gitdir: where,
          recordId: id,
          from: local,
          to: theirs,
          now: Date.now(),
          gitEnv: ctx.gitEnv,
        } as const;
        facts.findings = (await (ctx.judge ?? judgeIncoming)(judged)).findings;
        break;
      }
    }
  }
  const agree = async (sha: Oid, outcome: Outcome) => {
    await compareAndSwapRef(repo.gitdir, synced, sha, agreed);
    return report(outcome, sha);
  };
  switch (decision.kind) {
    case 'in-sync':
      return decision.agree ? agree(local, 'in-sync') : report('in-sync', local);
    case 'refused-rewrite':
      return report('refused-rewrite', local, {
        detail: `the peer's main ${theirs.slice(0, 12)} does not contain ${decision.agreed.slice(0, 12)}, which both sites held: its history was rewritten`,
      });
    case 'push': {
      const pushed = await pushToPeer(ctx, repo, peer, left, id, local);
      return pushed ? notPushed(report, local, pushed) : agree(local, 'pushed');
    }
    case 'refused-unrelated':
      return report('refused-unrelated', local, {
        detail: 'the peer holds a record with this id but an unrelated history',
      });
    case 'refused-invalid': {
      const findings = [...decision.findings];
      return report('refused-invalid', local, { findings, detail: findings.map(formatFinding).slice(0, 5).join('\n') });
    }
    case 'fast-forward':
      // Judged good: only now do the peer's objects enter the record.
      await scratch?.adopt();
      return (await moveMain(repo, local, theirs))
        ? { ...(await agree(theirs, 'fast-forwarded')), movedHere: true }
        : report('retry', await repo.head(), { detail: 'main moved during the round' });
    case 'merge': {
      await scratch?.adopt();
      const merge = await buildSyncMerge(repo.source, local, theirs, decision.base);
      if (!merge.ok) return report('conflict', local, { detail: merge.conflict });
      const merged = await signMerge(ctx, merge.value);
      await writeObjects(repo.gitdir, merged.objects);
      if (!(await moveMain(repo, local, merged.oid)))
        return report('retry', await repo.head(), { detail: 'main moved during the round' });
      const pushed = await pushToPeer(ctx, repo, peer, left, id, merged.oid);
      return {
        ...(pushed ? notPushed(report, merged.oid, pushed) : await agree(merged.oid, 'merged')),
        movedHere: true,
      };
    }
  }
}

/**
 * The merge as this site writes it: the deterministic commit with this site's signature added
 * (one gpgsig header; `ccr/merge` judges the commit without it), or as built when no signer.
 */
async function signMerge(ctx: SyncContext, merge: MergeBuild): Promise<{ oid: Oid; objects: MergeBuild['objects'] }> {
  if (!ctx.signer) return merge;
  const signed = await ctx.signer(merge.commit);
  const oid = hashObject('commit', signed);
  const objects = new Map(merge.objects);
  objects.delete(merge.oid);
  objects.set(oid, { type: 'commit', content: signed });
  return { oid, objects };
}
