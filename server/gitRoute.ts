// Serving git for one record: who may, then the bridge to upload-pack / receive-pack, and for a
// push the pre-receive token, the verdict, and the side effects once `main` really moved.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Forbidden, NotFound, PayloadTooLarge, RecordLocked, UnsupportedMediaType } from '../core/errors.js';
import { error, formatFinding, ruleIds, type Finding, type RuleId } from '../core/findings.js';
import { refusedWriteFindings } from '../core/rules/writeRules.js';
import type { RecordId } from '../core/ids.js';
import { isOid, parseOid } from '../core/objects.js';
import type { Principal } from '../core/principal.js';
import { rightsOf } from '../core/rights.js';
import { holdRecordLock } from '../git/lock.js';
import { MAIN_MOVED } from '../git/remote.js';
import { MAIN, compareAndSwapRef, readRef } from '../git/refs.js';
import { PushSource } from '../git/pushSource.js';
import { IsoGitSource } from '../git/store.js';
import { Repository } from '../git/repository.js';
import { storeTranslation } from '../git/views/land.js';
import { layered } from '../git/views/store.js';
import { translatePush } from '../core/views/translate.js';
import type { ServedView } from './views.js';
import { held, mayAccess } from './access.js';
import type { AccessEntry } from './accessLog.js';
import { issueReceipt, keepReceipt } from './receipts.js';
import type { ServerContext } from './context.js';
import type { HookCall, HookVerdict, PushContext, RefUpdate } from './hookEndpoint.js';
import { aheadVerdict, aheadWatch, pushInput } from './prejudge.js';
import { landAhead, landable } from './landAhead.js';
import { pushUsage } from './quotas.js';
import { advertise, rpc, type Exchange, type GitService } from './smartHttp.js';
import { refuseUploadPack, type Readable } from './uploadPack.js';
import { Reachability } from '../git/reachable.js';
import type { Oid } from '../core/objects.js';

const ZERO = '0'.repeat(40);
/** How long an accepted push waits for the record lock (held by a server-side write) before it is refused. */
const LOCK_WAIT_MS = 10_000;
/**
 * The longest a push waits, once git has ended, for a judgement still running: it is bounded by
 * the validator's budget and the lock's wait; this only keeps a judgement that never settles from
 * holding the request and the record lock for good (it lands nothing after, being `over`).
 */
const JUDGING_WAIT_MAX_MS = 60_000;

/** Resolves when `p` has settled, or after `ms`, whichever is first. */
async function settledWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, ms).unref()));
  await Promise.race([p, late]);
  clearTimeout(timer);
}

/** What the git route tells the access log. */
export type GitOutcome = Pick<AccessEntry, 'status' | 'outcome' | 'updates'> & { exchange?: Exchange };

/** Serve one git request for a record; the caller logs and ends the response. */
export async function gitRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  p: Principal,
  id: RecordId,
  service: GitService,
  step: 'advertise' | 'rpc',
  requestId: string,
): Promise<GitOutcome> {
  const write = service === 'git-receive-pack';
  // Auditors never push: answered before the disk or git are touched.
  if (write && !rightsOf(p).write) throw new Forbidden('auditors have read-only access');
  if (step === 'rpc' && req.headers['content-type'] !== `application/x-${service}-request`)
    throw new UnsupportedMediaType(`expected Content-Type: application/x-${service}-request`);
  const cap = write ? ctx.options.maxPushBytes : ctx.options.maxRequestBytes;
  if (Number(req.headers['content-length'] ?? 0) > cap)
    throw new PayloadTooLarge(`the request body is larger than ${cap} bytes`);
  // A record the principal may not see is reported exactly like a missing one.
  // A participant who may read may start a push: whether it may write is judged in the push's hook
  // (judgeViewPush), so that a refusal reaches it as `remote:` lines with a rule id.
  const action = write && rightsOf(p).read !== 'as-participant' ? 'write' : 'read';
  const repo = await ctx.records.open(id, (r) => mayAccess(p, action, id, r, ctx.participants, held(ctx)));
  if (!repo) throw new NotFound(`no record ${id}`);
  // A participant reads and pushes through its view, brought up to `main` first (SPEC 12).
  const view = await ctx.views.of(p, id);
  const gitdir = view?.dir ?? repo.gitdir;

  const failed = (exchange: Exchange) => logFailure(ctx, requestId, id, service, step, exchange);
  if (step === 'advertise') {
    return {
      status: 200,
      outcome: 'ok',
      exchange: failed(await advertise(req, res, gitdir, service, ctx.gitEnv, ctx.advertisements)),
    };
  }
  if (!write) {
    // Every object a fetch names must be reachable from what this principal may read.
    const readable = view
      ? { refs: new Map(view.tip ? [[MAIN, view.tip]] : []), screenHaves: true }
      : await readableRefs(repo.gitdir);
    const unreachable = (tips: Oid[], oids: string[]) => reachability.unreachable(gitdir, tips, oids, ctx.gitEnv);
    const admit = (body: Buffer) => refuseUploadPack(body, readable, unreachable);
    const exchange = failed(await rpc(req, res, gitdir, service, ctx.gitEnv, cap, admit));
    if (exchange.refused)
      ctx.log('info', 'fetch-refused', { request: requestId, record: id, principal: p.name, reason: exchange.refused });
    return exchanged(exchange, 'ok');
  }

  let ended!: () => void;
  // The socket is destroyed as soon as the loop has read its end; the response's close comes later.
  let closed = false;
  res.once('close', () => (closed ||= !res.writableFinished));
  // Once git has ended, a judgement still running lands nothing: receive-pack has answered.
  let over = false;
  const push: PushContext = {
    requestId,
    principal: p,
    recordId: id,
    gitdir: repo.gitdir,
    ended: new Promise((r) => (ended = r)),
    left: () => over || closed || (req.socket.destroyed && !res.writableFinished),
    ...(view ? { view } : {}),
  };
  const before = await readRef(repo.gitdir, MAIN);
  const token = ctx.hooks.open(push);
  // No judgement starts once git has ended; one still running (its receive-pack stopped under it,
  // its pusher gone, or its hook killed) ends first: until then it holds the record lock and may
  // charge the quota. It lands nothing past its last look (`over`), and the client has git's
  // whole answer meanwhile. Once: the try and the finally share one wait.
  let settling: Promise<void> | undefined;
  const settled = () =>
    (settling ??= (async () => {
      over = true;
      ctx.hooks.close(token);
      if (!push.judging?.running) return;
      if (res.headersSent) res.end();
      await settledWithin(push.judging.done, JUDGING_WAIT_MAX_MS);
    })());
  let exchange: Exchange;
  let after: Oid | null;
  try {
    const env = { ...ctx.gitEnv, CCR_HOOK_PORT: String(ctx.hooks.port), CCR_HOOK_TOKEN: token };
    exchange = failed(
      landable(ctx, push, req)
        ? await landAhead(ctx, req, res, push, env)
        : await rpc(req, res, gitdir, service, env, cap, undefined, aheadWatch(ctx, push)),
    );
    await settled();
    // Read while an accepted push still holds the record lock: no server-side write has moved main since.
    after = await readRef(repo.gitdir, MAIN);
  } finally {
    await settled();
    ended();
  }
  if (push.updates === undefined) after = await unjudged(ctx, push, exchange, before, after);
  // A push from a view moved `main` itself, to the translation of the pushed commits.
  const moved = view
    ? push.landed !== undefined && after === push.landed.new
    : after !== before && push.accepted?.some((u) => u.ref === MAIN && u.new === after);
  // Charged under the lock as it was about to land, and then not landed (its pusher gone,
  // receive-pack stopped, a failure while storing it): the quota is given back.
  if (!moved) push.quotaBack?.();
  const landedAt = view ? push.landed?.view : after;
  const updates = (push.updates ?? []).map((u) => ({
    ref: u.ref,
    old: u.old,
    new: u.new,
    accepted: Boolean(moved && u.ref === MAIN && u.new === landedAt),
  }));
  // git's fsck refuses malformed objects before the hook runs: still a refused push for the log.
  const unpackRefused = !push.updates && exchange.unpack !== undefined && exchange.unpack !== 'ok';
  if (push.updates || unpackRefused) ctx.metrics.pushes.inc({ outcome: moved ? 'accepted' : 'refused' });
  if (unpackRefused)
    ctx.log('info', 'push-refused', { request: requestId, record: id, principal: p.name, unpack: exchange.unpack });
  if (moved) {
    ctx.log('info', 'push-accepted', {
      request: requestId,
      record: id,
      principal: p.name,
      old: push.landed?.old ?? before,
      new: after,
      ...(view ? { view: landedAt } : {}),
    });
    // What the move brings, derived on a validator thread now that the push was answered.
    const old = parseOid((view ? push.landed?.old : push.accepted?.find((u) => u.ref === MAIN)?.old) ?? '');
    const derived =
      old && after
        ? ctx.validator.derive({ kind: 'derive', gitdir: repo.gitdir, recordId: id, old, head: after })
        : undefined;
    for (const fn of ctx.mainMoved) fn(id, derived);
  }
  keepReceipt(ctx, push, after);
  return {
    ...exchanged(exchange, moved ? 'accepted' : push.updates ? 'refused' : unpackRefused ? 'refused-objects' : 'ok'),
    updates,
  };
}

/** Objects reachable from each record's readable refs, shared by the requests of this process. */
const reachability = new Reachability();

/**
 * The refs a principal who reads `main` whole reads, by name (a participant reads its view's tip
 * instead). Refs under refs/ccr/ are private to the server.
 */
async function readableRefs(gitdir: string): Promise<Readable> {
  const main = await readRef(gitdir, MAIN);
  return { refs: new Map(main ? [[MAIN, main]] : []) };
}

/**
 * Log what git said when it failed on its own (not stopped by the server because the client went
 * away or the body was refused): the operator's side of a 400 the client only sees the code of.
 */
function logFailure(
  ctx: ServerContext,
  requestId: string,
  id: RecordId,
  service: GitService,
  step: string,
  exchange: Exchange,
): Exchange {
  if (exchange.code !== 0 && !exchange.aborted && !exchange.tooLarge && !exchange.bodyError) {
    ctx.log('warn', 'git-failed', {
      request: requestId,
      record: id,
      service,
      step,
      code: exchange.code,
      stderr: exchange.stderr,
    });
  }
  return exchange;
}

/** The status and outcome of a finished exchange. Git failing on a request is the request's fault. */
function exchanged(exchange: Exchange, ok: string): GitOutcome {
  const outcome = exchange.refused
    ? 'refused-fetch'
    : exchange.tooLarge
      ? 'too-large'
      : exchange.bodyError
        ? 'bad-body'
        : exchange.aborted
          ? 'aborted'
          : exchange.code === 0
            ? ok
            : 'bad-request';
  const status = exchange.tooLarge
    ? 413
    : exchange.bodyError
      ? 400
      : exchange.code === 0 || exchange.aborted
        ? 200
        : 400;
  return { status, outcome, exchange };
}

/** Count an acceptable push against its pusher's quota; a finding when it would pass it. */
async function chargeQuota(ctx: ServerContext, push: PushContext, call: HookCall): Promise<Finding | null> {
  const limits = ctx.quotas.limits(push.principal);
  if (limits.threads == null && limits.bytes == null) return null;
  const usage = await pushUsage(push.gitdir, call, ctx.gitEnv, limits.threads != null);
  const over = ctx.quotas.over(push.principal, usage);
  if (over) return error(ruleIds.quota, over, { path: MAIN });
  push.quotaBack = ctx.quotas.take(push.principal, usage);
  return null;
}

/** The update of `main` in a push whose old value `main` no longer has, with what it has now. */
async function mainMoved(
  push: PushContext,
  updates: RefUpdate[],
): Promise<{ expected: string; found: string | null } | null> {
  const u = updates.find((x) => x.ref === MAIN && isOid(x.old) && x.old !== ZERO);
  if (!u) return null;
  const found = await readRef(push.gitdir, MAIN);
  return found === u.old ? null : { expected: u.old, found };
}

/** A refusal for the pusher: a headline with the count and request id, the lines, and what to do. */
function refusal(push: PushContext, count: number, lines: string[], then: string): HookVerdict {
  const headline = `ccr: push refused: ${count} problem${count === 1 ? '' : 's'} (request ${push.requestId})`;
  return { accept: false, lines: [headline, ...lines, `ccr: ${then}`] };
}

/**
 * Closing hints by rule, for rules whose findings do not already say what to do. Only a refusal
 * about changing what was written hears that messages are never edited: after a merge, a quota
 * or a budget refusal that line would mislead.
 */
const CLOSING_HINTS: Partial<Record<RuleId, string>> = {
  [ruleIds.appendOnly]: 'messages are never edited or deleted (write a correction instead)',
};

/** The closing line of a refusal by these rules: nothing was changed, and the hints that apply. */
function closingHint(rules: readonly RuleId[]): string {
  const hints = [...new Set(rules.map((r) => CLOSING_HINTS[r]).filter((h) => h !== undefined))];
  return ['nothing was changed', ...hints].join('; ');
}

/** The refusal of a push whose old value of `main` was overtaken by another write. */
function overtaken(
  ctx: ServerContext,
  push: PushContext,
  moved: { expected: string; found: string | null },
): HookVerdict {
  ctx.log('info', 'push-overtaken', {
    request: push.requestId,
    record: push.recordId,
    principal: push.principal.name,
    expected: moved.expected,
    found: moved.found,
  });
  ctx.metrics.findings.inc({ rule: ruleIds.refFastForward });
  const findings = refusedWriteFindings({
    refused: 'main-moved',
    ref: MAIN,
    expected: moved.expected,
    found: moved.found,
    why: MAIN_MOVED,
  });
  return refusal(push, 1, findings.map(formatFinding), `${MAIN_MOVED}; fetch and push again; nothing was changed`);
}

/**
 * A push git took without asking the hook (git skips a hook it cannot find or run, and still moves
 * the ref). Suspected when git reported `ok refs/heads/main`, or main moved during a push whose
 * objects git did not refuse: an error in the log and a count. main is put back only when it is
 * certain this push moved it: git unpacked its objects, main was at the command's old value when
 * the push began and is at its new value now. The command (the request's ref lines, read when it
 * was judged ahead) is the client's word, so it is trusted only where main itself agrees; main goes
 * back by compare-and-swap to the value it had before the push, never to a value the client named
 * (a fourth review moved main to any value through a request git refused before its hook).
 * Gives main as it now is.
 */
async function unjudged(
  ctx: ServerContext,
  push: PushContext,
  exchange: Exchange,
  before: Oid | null,
  main: Oid | null,
): Promise<Oid | null> {
  const unpacked = exchange.unpack === undefined || exchange.unpack === 'ok';
  if (!exchange.mainUpdated && !(unpacked && main !== before)) return main;
  const command = push.view ? undefined : push.ahead?.updates.find((u) => u.ref === MAIN);
  const certain =
    command !== undefined &&
    exchange.unpack === 'ok' &&
    before !== null &&
    main !== null &&
    before !== main &&
    command.old === before &&
    command.new === main;
  const undone = certain ? await compareAndSwapRef(push.gitdir, MAIN, before, main).catch(() => false) : false;
  ctx.log('error', 'push-unjudged', {
    request: push.requestId,
    record: push.recordId,
    principal: push.principal.name,
    old: before,
    new: main,
    ...(push.view ? { view: true } : {}),
    undone,
    hint: 'git did not run the pre-receive hook; run ccr doctor',
  });
  ctx.metrics.pushes.inc({ outcome: 'unjudged' });
  return undone ? before : main;
}

/**
 * The pre-receive judgement for a push in flight (called through the hook endpoint). An accepted
 * push holds the record lock from its last look at `main` until its receive-pack has exited, so
 * server-side writers (API writes, sync rounds, the service) wait for git's ref update instead of
 * making it fail; a push whose `main` was moved meanwhile is refused with a reason and what to do.
 */
export async function judgeHook(ctx: ServerContext, push: PushContext, call: HookCall): Promise<HookVerdict> {
  if (push.updates) {
    const twice = error(ruleIds.internal, 'expected one judgement per push, found a second call');
    return refusal(push, 1, [formatFinding(twice)], 'nothing was changed');
  }
  push.updates = call.updates;
  if (push.view) return judgeViewPush(ctx, push, push.view, call);
  // Cheap first: an update whose old value main no longer has cannot land, however good it is.
  const moved = await mainMoved(push, call.updates);
  if (moved) return overtaken(ctx, push, moved);
  const started = performance.now();
  const verdict =
    (await aheadVerdict(ctx, push, call.updates)) ??
    (await ctx.validator.judge(pushInput(ctx, push, call.env, call.updates)));
  ctx.metrics.validation.observe((performance.now() - started) / 1000);
  if (verdict.findings.some((f) => f.severity === 'error')) return refusedFor(ctx, push, verdict.findings);
  return acceptUnderLock(ctx, push, call);
}

/**
 * The last steps of a push the rules accepted, for the hook and for a push landed without
 * receive-pack (server/landAhead.ts): the record lock, held until the push has ended; the last
 * look at `main`; the quota; then the accept answer with its signed receipt.
 */
export async function acceptUnderLock(ctx: ServerContext, push: PushContext, call: HookCall): Promise<HookVerdict> {
  const busy = await lockRecord(ctx, push);
  if (busy) return busy;
  const moved = await mainMoved(push, call.updates);
  if (moved) return overtaken(ctx, push, moved);
  if (await pusherLeft(push)) return pusherGone(ctx, push);
  // Counted last, under the lock: only a push that is about to land uses its pusher's quota.
  const quota = await chargeQuota(ctx, push, call);
  if (quota) return overQuota(ctx, push, quota);
  push.accepted = call.updates;
  const main = call.updates.find((u) => u.ref === MAIN);
  return { accept: true, lines: main ? issueReceipt(ctx, push, main.old, main.new, MAIN) : [] };
}

/**
 * Whether the pusher has gone: a pusher gone takes its push with it, as receive-pack ends when its
 * client goes. One poll of the event loop first (an immediate set from a check phase runs in the
 * next), so that a connection closed while the push was judged is seen before the accept.
 */
async function pusherLeft(push: PushContext): Promise<boolean> {
  await new Promise<void>((r) => setImmediate(() => setImmediate(r)));
  return push.left();
}

/** The refusal of a push whose pusher went away before its answer. */
export function pusherGone(ctx: ServerContext, push: PushContext): HookVerdict {
  return refusedFor(ctx, push, [error(ruleIds.internal, 'expected the pusher to wait, found it gone')]);
}

/** The refusal of a push for the errors among findings (of the rules, or of a view's translation). */
export function refusedFor(ctx: ServerContext, push: PushContext, findings: Finding[]): HookVerdict {
  const errors = findings.filter((f) => f.severity === 'error');
  for (const f of errors) ctx.metrics.findings.inc({ rule: f.rule });
  const rules = [...new Set(errors.map((f) => f.rule))];
  ctx.log('info', 'push-refused', refusedEntry(push, rules));
  return refusal(
    push,
    errors.length,
    [
      ...errors.slice(0, 50).map(formatFinding),
      ...(errors.length > 50 ? [`ccr: … and ${errors.length - 50} more`] : []),
    ],
    closingHint(rules),
  );
}

/** Hold the record lock until the push's receive-pack ends; a refusal when it stays busy. */
async function lockRecord(ctx: ServerContext, push: PushContext): Promise<HookVerdict | null> {
  try {
    await holdRecordLock(push.gitdir, push.ended, LOCK_WAIT_MS);
    return null;
  } catch (e) {
    if (!(e instanceof RecordLocked)) throw e;
    ctx.log('warn', 'push-lock-timeout', { request: push.requestId, record: push.recordId });
    const busy = `expected the record within ${LOCK_WAIT_MS / 1000} s, found it busy with another write all along`;
    const finding = error(ruleIds.parseBudget, busy, { path: MAIN });
    return refusal(push, 1, [formatFinding(finding)], 'nothing was changed; push again in a moment');
  }
}

/** The refusal of a push that would pass its pusher's quota. */
function overQuota(ctx: ServerContext, push: PushContext, quota: Finding): HookVerdict {
  ctx.metrics.findings.inc({ rule: quota.rule });
  ctx.log('info', 'push-refused', refusedEntry(push, [quota.rule]));
  const then = 'nothing was changed; push again when the period named above has passed';
  return refusal(push, 1, [formatFinding(quota)], then);
}

/** The log entry of a refused push. */
function refusedEntry(push: PushContext, rules: string[]): Record<string, unknown> {
  return { request: push.requestId, record: push.recordId, principal: push.principal.name, rules };
}

/**
 * The judgement of a push to a participant's view (SPEC 12). The ref rules first, on the view;
 * then, under the record lock (held until receive-pack ends, so `main` cannot move) and the view's
 * lock (receive-pack moves its ref), the pushed commits are translated onto the current `main`
 * (core/views/translate.ts), stored in the record unreferenced, judged by every rule as if that
 * principal had pushed them to `main`, and `main` moves to them only when none refuses and the
 * view of the result is exactly what was pushed. A refused push leaves nothing reachable.
 */
async function judgeViewPush(
  ctx: ServerContext,
  push: PushContext,
  view: ServedView,
  call: HookCall,
): Promise<HookVerdict> {
  // Removed from every thread, it still reads what its view kept (SPEC 12), but writes nothing.
  if (!(await mayAccess(push.principal, 'write', push.recordId, new Repository(push.gitdir), ctx.participants))) {
    return refusedFor(
      ctx,
      push,
      refusedWriteFindings({ refused: 'view-read-only', recordId: push.recordId, principal: push.principal.name }),
    );
  }
  const judge = (gitdir: string, env: HookCall['env'], updates: RefUpdate[], content: boolean, signed: boolean) => {
    const { signatures, ...input } = pushInput(ctx, push, env, updates);
    return ctx.validator.judge({ ...input, gitdir, content, ...(signed && signatures ? { signatures } : {}) });
  };
  // Signatures are judged on the view commits the participant pushed and signed (the translated
  // commits on `main` are the server's, over other trees: docs/decisions.md "Signed commits").
  const refs = await judge(view.dir, call.env, call.updates, false, true);
  if (refs.findings.some((f) => f.severity === 'error')) return refusedFor(ctx, push, refs.findings);
  const u = call.updates.find((x) => x.ref === MAIN);
  const busy = await lockRecord(ctx, push);
  if (busy) return busy;
  // `main` cannot move now: the view brought up to it is the view the push must be on.
  const now = await ctx.views.of(push.principal, push.recordId);
  if (!u || !now?.tip || !now.main) {
    const why = 'expected an update of main on a view of a record with commits';
    return refusedFor(ctx, push, [error(ruleIds.internal, why)]);
  }
  // parseHookBody let only full object ids through, so this refusal is a bug, not a push's fault.
  const [old, tip] = [parseOid(u.old), parseOid(u.new)];
  if (!old || !tip) {
    const why = `expected object ids in the update of main, found ${u.old} ${u.new}`;
    return refusedFor(ctx, push, [error(ruleIds.internal, why)]);
  }
  await holdRecordLock(view.dir, push.ended, LOCK_WAIT_MS);
  const quarantine = call.env.GIT_OBJECT_DIRECTORY;
  const pushed = new PushSource(quarantine, new IsoGitSource(view.dir), { ...ctx.gitEnv, ...call.env });
  const objects = layered(new IsoGitSource(push.gitdir), pushed);
  try {
    const started = performance.now();
    const t = await translatePush({
      source: objects,
      reader: view.reader,
      principal: push.principal,
      main: now.main,
      view: now.tip,
      old,
      tip,
    });
    const last = t.commits[t.commits.length - 1];
    if (!t.built || !last) return refusedFor(ctx, push, t.findings);
    await storeTranslation(push.gitdir, t, objects);
    const onMain = [{ ref: MAIN, old: now.main, new: last.main }];
    const verdict = await judge(push.gitdir, {}, onMain, ctx.options.validateContent, false);
    ctx.metrics.validation.observe((performance.now() - started) / 1000);
    // The rules speak first: what they refuse is what the pusher can fix in its own terms.
    if (verdict.findings.some((f) => f.severity === 'error')) return refusedFor(ctx, push, verdict.findings);
    if (t.findings.length > 0) return refusedFor(ctx, push, t.findings);
    const quota = await chargeQuota(ctx, push, { env: call.env, updates: onMain });
    if (quota) return overQuota(ctx, push, quota);
    // Last, just before main moves (a charge made is given back when it does not).
    if (await pusherLeft(push)) return pusherGone(ctx, push);
    if (!(await compareAndSwapRef(push.gitdir, MAIN, last.main, now.main))) {
      const why = `expected main at ${now.main.slice(0, 12)} under the record lock, found it moved`;
      return refusedFor(ctx, push, [error(ruleIds.internal, why)]);
    }
    push.landed = { old: now.main, new: last.main, view: last.view };
    push.accepted = call.updates;
    return { accept: true, lines: issueReceipt(ctx, push, now.main, last.main, MAIN) };
  } finally {
    pushed.close();
  }
}
