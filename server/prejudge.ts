// Judging a push ahead (issue 17). The server streams a push's request into receive-pack and sees
// the whole of a small one before git has indexed it; the validator judges the pack that request
// carried while git indexes the same bytes, checks connectivity and starts the hook. When the
// hook's call comes, its verdict is ready. It is used only when it accepts exactly the ref lines
// git gave the hook; anything else (a refusal, a pack not read here, other ref lines, a merge) is
// judged again from receive-pack's quarantine, as every push once was. The rules, the principal
// and the objects are the same (each object is hashed as it is read from the pack); only their
// way in differs. The record lock, the last look at `main` and the quota stay in the hook's call.

import { MAIN, readRef } from '../git/refs.js';
import { parsePushRequest } from '../git/pushRequest.js';
import type { ServerContext } from './context.js';
import type { HookCall, PushContext, RefUpdate } from './hookEndpoint.js';
import type { BodyWatch } from './smartHttp.js';
import type { PushInput, PushVerdict } from './validator.js';

/** Request bodies up to this size are judged ahead; larger ones only from the quarantine. */
export const AHEAD_MAX_BODY = 1024 * 1024;

/**
 * A verdict judged ahead is used only this soon after its time (the request had come in whole):
 * keys that expire and revocations dated ahead are judged as of that time. A judgement in the hook
 * is as old as its own run by the time git moves the ref (up to the 10 s budget); this keeps the
 * gap well inside that, and a pusher who slows the queue gets judged again, not judged stale.
 */
export const AHEAD_MAX_AGE_MS = 5000;

/** What the validator judges a push from: the same for the hook and for judging ahead. */
export function pushInput(
  ctx: ServerContext,
  push: PushContext,
  env: HookCall['env'],
  updates: RefUpdate[],
): PushInput {
  return {
    gitdir: push.gitdir,
    recordId: push.recordId,
    principal: push.principal,
    env,
    updates,
    now: Date.now(),
    gitEnv: ctx.gitEnv,
    content: ctx.options.validateContent,
    maxCommits: 10_000,
    bindings: { database: ctx.identity.database },
    signatures: { required: ctx.options.requireSignedCommits === true },
  };
}

/** The watch of a push's request body that starts its judgement ahead (none for a view's push). */
export function aheadWatch(ctx: ServerContext, push: PushContext): BodyWatch | undefined {
  if (push.view || !ctx.options.judgeAhead) return undefined;
  const failed = (e: unknown) => {
    ctx.log('warn', 'judge-ahead-failed', { request: push.requestId, record: push.recordId, error: e });
    return null;
  };
  // The watch only looks: whatever happens here, the body goes on to git and the hook judges.
  return {
    limit: AHEAD_MAX_BODY,
    seen: (body) => {
      try {
        judgeAhead(ctx, push, body, failed);
      } catch (e) {
        failed(e);
      }
    },
  };
}

function judgeAhead(ctx: ServerContext, push: PushContext, body: Buffer, failed: (e: unknown) => null): void {
  const request = parsePushRequest(body);
  if (!request) return;
  // A request git refuses before its hook (a bad pack, missing objects) ends its push unjudged:
  // a judgement still waiting for a thread is withdrawn then, and counted as never asked for.
  const ended = new AbortController();
  void push.ended.then(() => {
    ended.abort();
    if (!push.updates) ctx.metrics.judgedAhead.inc({ outcome: 'unasked' });
  });
  const now = Date.now();
  const verdict = async (): Promise<PushVerdict | null> => {
    // A push whose old value `main` no longer has is refused by the hook's first look, unjudged.
    const main = request.updates.find((u) => u.ref === MAIN);
    if (main && main.old !== (await readRef(push.gitdir, MAIN))) return null;
    const input = { ...pushInput(ctx, push, {}, request.updates), now, pack: request.pack };
    return ctx.validator.judge(input, ended.signal);
  };
  push.ahead = {
    updates: request.updates,
    now,
    identity: ctx.identity.store.lastChange(),
    verdict: verdict().catch((e: unknown) => (ended.signal.aborted ? null : failed(e))),
  };
}

/**
 * The verdict judged ahead, when it accepted exactly the ref lines the hook sent, no principal,
 * token or key changed since it began, and its time (the request in whole) is at most
 * AHEAD_MAX_AGE_MS old; else null, and the hook's call judges the push from the quarantine.
 */
export async function aheadVerdict(
  ctx: ServerContext,
  push: PushContext,
  updates: RefUpdate[],
): Promise<PushVerdict | null> {
  const { outcome, verdict } = await aheadOutcome(ctx, push, updates);
  ctx.metrics.judgedAhead.inc({ outcome });
  return outcome === 'used' ? verdict : null;
}

/** Whether the verdict judged ahead may stand for these ref lines (`used`), or why not; uncounted. */
export async function aheadOutcome(
  ctx: ServerContext,
  push: PushContext,
  updates: RefUpdate[],
): Promise<{ outcome: string; verdict: PushVerdict | null }> {
  const ahead = push.ahead;
  const verdict = (await ahead?.verdict) ?? null;
  const outcome = !ahead
    ? 'none'
    : !verdict
      ? 'not-judged'
      : verdict.unsure !== undefined
        ? 'unsure'
        : !sameUpdates(ahead.updates, updates)
          ? 'other-updates'
          : verdict.findings.some((f) => f.severity === 'error')
            ? 'refused'
            : ahead.identity !== ctx.identity.store.lastChange()
              ? 'identity-changed'
              : Date.now() - ahead.now > AHEAD_MAX_AGE_MS
                ? 'late'
                : 'used';
  return { outcome, verdict };
}

function sameUpdates(a: RefUpdate[], b: RefUpdate[]): boolean {
  return a.length === b.length && a.every((u, i) => u.old === b[i]!.old && u.new === b[i]!.new && u.ref === b[i]!.ref);
}
