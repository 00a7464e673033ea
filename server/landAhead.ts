// A push landed without receive-pack (issue 17). A small push's request is read whole; while the
// validator judges its pack (server/prejudge.ts), `git index-pack --strict` stores the same bytes
// in a quarantine folder inside the record, as receive-pack has its own index-pack do (git's SHA-1
// with collision detection, its fsck, every object a new object names present). When the rules
// accept exactly the request's one update of `main`, the server does the rest of what
// receive-pack and its hook would do, in their order and under the same record lock: the hook's
// last steps (gitRoute.ts acceptUnderLock: the last look at `main`, the quota, the receipt), the
// quarantine's pack moved into the record, `main` moved by compare-and-swap, and receive-pack's
// answer, byte for byte. Anything else (another shape of request, a verdict that is not an accept,
// git refusing the pack) goes to receive-pack with the same body, where the hook judges it as
// every push was judged before. The rules, the principal and the objects are the same on both ways.
// The quarantine's folders and files are made, listed, moved and removed with blocking calls (a
// system call each, where the thread pool costs round trips that wake threads on a busy core; issue
// 17); only the fsyncs, which wait for the disk, go to the pool.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { error, ruleIds } from '../core/findings.js';
import { ZERO_OID } from '../core/rules/zeroOid.js';
import { parseOid, type Oid } from '../core/objects.js';
import { parsePushRequest, type PushRequest } from '../git/pushRequest.js';
import { MAIN, compareAndSwapRef, readRef } from '../git/refs.js';
import { packIndexHolds } from '../git/packIndex.js';
import { syncDir } from '../git/fsutil.js';
import type { ServerContext } from './context.js';
import { spawnGit } from './gitSpawner.js';
import { acceptUnderLock, pusherGone, refusedFor } from './gitRoute.js';
import type { HookCall, HookVerdict, PushContext, RefUpdate } from './hookEndpoint.js';
import { AHEAD_MAX_BODY, aheadOutcome, aheadWatch } from './prejudge.js';
import { answerPush, readBody, throughGit, type Exchange } from './smartHttp.js';

/** The capabilities git's push asks for that an answer from here honours (others: receive-pack answers). */
const UNDERSTOOD =
  /^(report-status|report-status-v2|side-band-64k|quiet|atomic|ofs-delta|agent=\S*|object-format=sha1)$/;

/**
 * Whether a push's request is read whole to be landed here (it may still go to receive-pack
 * after): a push to `main` itself (not a view's), judged ahead, with a stated length within what
 * is judged ahead and no encoding (git sends a push of up to http.postBuffer, 1 MiB, so).
 */
export function landable(ctx: ServerContext, push: PushContext, req: IncomingMessage): boolean {
  if (!ctx.options.landAhead || !ctx.options.judgeAhead || push.view) return false;
  if (req.headers['content-encoding'] !== undefined) return false;
  const length = req.headers['content-length'];
  return length !== undefined && /^[0-9]{1,8}$/.test(length) && Number(length) <= AHEAD_MAX_BODY;
}

/** The request's one update of `main` when it is the plain push answered here, else null. */
function plainUpdate(request: PushRequest): RefUpdate | null {
  const [u, ...more] = request.updates;
  if (!u || more.length > 0 || u.ref !== MAIN || u.old === ZERO_OID || u.new === ZERO_OID || u.old === u.new)
    return null;
  const caps = request.capabilities;
  const reports = caps.includes('report-status') || caps.includes('report-status-v2');
  return reports && caps.includes('side-band-64k') && caps.every((c) => UNDERSTOOD.test(c)) ? u : null;
}

/** Answer a push request (see landable): landed here when the rules accept it, else by receive-pack. */
export async function landAhead(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  push: PushContext,
  env: NodeJS.ProcessEnv,
): Promise<Exchange> {
  const read = await readBody(req, AHEAD_MAX_BODY);
  if (!('body' in read)) return { code: null, aborted: false, bytesIn: read.bytes, stderr: '', ...read.failure };
  const body = read.body;
  aheadWatch(ctx, push)?.seen(body);
  const request = parsePushRequest(body);
  const update = request && plainUpdate(request);
  const next = update && parseOid(update.new);
  const viaGit = () => throughGit(req, res, push.gitdir, 'git-receive-pack', env, body);
  if (!request || !update || !next) return viaGit();
  const quarantine = mkdtempSync(`${push.gitdir}/objects/tmp_objdir-ccr-`);
  const removed = () => {
    try {
      // Landed, its pack has moved out and two empty folders are left: removed as such, not by
      // the recursive remover's walk; anything else (a push that went to receive-pack) by the walk.
      try {
        rmdirSync(`${quarantine}/pack`);
        rmdirSync(quarantine);
        return;
      } catch {
        rmSync(quarantine, { recursive: true, force: true });
      }
    } catch (e) {
      ctx.log('warn', 'quarantine-not-removed', { request: push.requestId, record: push.recordId, error: e });
    }
  };
  const indexing = indexPack(ctx, push.gitdir, quarantine, request.pack);
  let answer: HookVerdict;
  try {
    const started = performance.now();
    const { outcome } = await aheadOutcome(ctx, push, [update]);
    if (outcome !== 'used') indexing.stop();
    const stored = await indexing.done;
    // main moves only to a commit git itself stored from this pack (its links checked by --strict).
    if (outcome !== 'used' || !stored || !quarantineHolds(quarantine, next)) {
      removed();
      return await viaGit();
    }
    ctx.metrics.judgedAhead.inc({ outcome: 'landed' });
    ctx.metrics.validation.observe((performance.now() - started) / 1000);
    const call = { env: quarantineEnv(push.gitdir, quarantine), updates: [update] };
    answer = await land(ctx, push, call, quarantine);
  } catch (e) {
    // git may still be writing there: stopped and ended before its folder goes.
    indexing.stop();
    await indexing.done;
    removed();
    throw e;
  }
  answerPush(res, answer.lines, MAIN, answer.accept);
  removed();
  return {
    code: 0,
    aborted: push.left(),
    tooLarge: false,
    bytesIn: body.length,
    stderr: '',
    unpack: 'ok',
    ...(answer.accept ? { mainUpdated: true } : {}),
  };
}

/**
 * What receive-pack does once its hook accepts: the quarantine's pack moved into the record, then
 * `main` moved (by compare-and-swap, under the record lock the accept took). A failure on the way
 * is a refusal with the request id, never a half-done push: a pack without its ref is unreachable.
 * A failure after `main` moved (its folder's fsync) is the accept it is. A pusher gone by then
 * (its connection closed) is refused, as receive-pack is stopped when it goes.
 */
async function land(ctx: ServerContext, push: PushContext, call: HookCall, quarantine: string): Promise<HookVerdict> {
  push.updates = call.updates;
  const u = call.updates[0]!;
  const [old, next] = [parseOid(u.old), parseOid(u.new)];
  let answer: HookVerdict | undefined;
  const kept: string[] = [];
  try {
    answer = await acceptUnderLock(ctx, push, call);
    if (!answer.accept) return answer;
    await migrate(quarantine, push.gitdir, kept);
    // The move's fsyncs let the loop poll again: a pusher gone since the accept is still refused.
    if (push.left()) return pusherGone(ctx, push);
    if (old && next && (await compareAndSwapRef(push.gitdir, MAIN, next, old))) return answer;
    const why = `expected main at ${u.old.slice(0, 12)} under the record lock, found it moved`;
    return refusedFor(ctx, push, [error(ruleIds.internal, why)]);
  } catch (e) {
    const main = answer?.accept === true ? await readRef(push.gitdir, MAIN).catch(() => undefined) : null;
    ctx.log('error', 'push-store-failed', { request: push.requestId, record: push.recordId, main, error: e });
    if (main === next) return answer!;
    const why =
      main === undefined
        ? `expected to read main after an error while storing the push, found another: ${(e as Error).message}; fetch to see whether it landed`
        : `expected to store the push, found an error: ${(e as Error).message}`;
    return refusedFor(ctx, push, [error(ruleIds.internal, why)]);
  } finally {
    // As receive-pack: the pack's .keep (no gc drops it while no ref names it) goes once the ref is settled.
    for (const k of kept) {
      try {
        rmSync(k, { force: true });
      } catch {
        /* as receive-pack: a .keep left behind only keeps its pack out of a repack */
      }
    }
  }
}

/** The objects of a quarantine, as receive-pack's hook sees them: its own folder, the record's behind it. */
function quarantineEnv(gitdir: string, quarantine: string): HookCall['env'] {
  return { GIT_OBJECT_DIRECTORY: quarantine, GIT_ALTERNATE_OBJECT_DIRECTORIES: `${gitdir}/objects` };
}

/**
 * Store a pack in the quarantine with git's index-pack (through the spawn helper), as receive-pack
 * runs it: thin packs completed from the record, every object checked by fsck and its links
 * followed, a .keep beside the pack. `done` is true when git took it; `stop` ends a run no longer
 * wanted (the push goes to receive-pack, which indexes it again).
 */
function indexPack(
  ctx: ServerContext,
  gitdir: string,
  quarantine: string,
  pack: Buffer,
): { done: Promise<boolean>; stop: () => void } {
  const args = [`--git-dir=${gitdir}`, 'index-pack', '--stdin', '--fix-thin', '--strict', '--keep=ccr-push'];
  args.push(`--max-input-size=${ctx.options.maxPushBytes}`);
  const started = spawnGit(args, { ...ctx.gitEnv, ...quarantineEnv(gitdir, quarantine) });
  let stopped = false;
  const done = started.then(
    (child) =>
      new Promise<boolean>((resolve) => {
        if (stopped) child.kill('SIGTERM');
        child.stdout.resume();
        child.stdin.on('error', () => undefined);
        child.on('error', () => resolve(false));
        child.on('close', (code: number | null) => resolve(code === 0 && !stopped));
        child.stdin.end(pack);
      }),
    () => false,
  );
  const stop = () => {
    stopped = true;
    void started.then(
      (child) => child.kill('SIGTERM'),
      () => undefined,
    );
  };
  return { done, stop };
}

/** True when a pack index git wrote in the quarantine lists `oid`. */
function quarantineHolds(quarantine: string, oid: Oid): boolean {
  let names: string[];
  try {
    names = readdirSync(`${quarantine}/pack`);
  } catch {
    return false;
  }
  return names.some((n) => n.endsWith('.idx') && packIndexHolds(readFileSync(`${quarantine}/pack/${n}`), oid));
}

/** Pack files in the order git moves a quarantine's: the .keep, the pack, its reverse index, its index last. */
const RANK = [/\.keep$/, /\.pack$/, /\.rev$/, /\.idx$/];
const rank = (name: string) => {
  const i = RANK.findIndex((r) => r.test(name));
  return i === -1 ? RANK.length : i;
};

/**
 * Move the quarantine's pack files into the record, durably, before any ref names their objects;
 * the paths of the .keep files moved go into `kept` as they move (index-pack --keep: the pack is
 * kept until they go).
 */
async function migrate(quarantine: string, gitdir: string, kept: string[]): Promise<void> {
  const names = readdirSync(`${quarantine}/pack`).sort((a, b) => rank(a) - rank(b));
  // A record written only by CCR's own writes (loose objects) may not have a pack folder yet.
  if (mkdirSync(`${gitdir}/objects/pack`, { recursive: true })) await syncDir(`${gitdir}/objects`);
  for (const name of names) {
    const to = `${gitdir}/objects/pack/${name}`;
    renameSync(`${quarantine}/pack/${name}`, to);
    if (name.endsWith('.keep')) kept.push(to);
  }
  await syncDir(`${gitdir}/objects/pack`);
}
