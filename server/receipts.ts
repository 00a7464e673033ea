// Signed push receipts: made when the validator accepts a push and sent with its accept answer, so
// the pre-receive hook prints them (`remote:` lines) without another process or round trip; kept
// in the access log (`"event":"receipt"`) only once receive-pack has ended and `main` really is
// the receipt's `new`. A receipt printed for a push whose ref update then failed names a `new`
// that is not on `main`, which anyone can check.

import { renderReceipt, type Receipt } from '../core/receipt.js';
import type { ServerContext } from './context.js';
import type { PushContext } from './hookEndpoint.js';

/** The receipt of a push about to land on `main` (old → new); its lines, also kept on the push. */
export function issueReceipt(ctx: ServerContext, push: PushContext, old: string, next: string, ref: string): string[] {
  const receipt: Receipt = {
    receipt: '1',
    record: push.recordId,
    ref,
    old,
    new: next,
    principal: push.principal.name,
    time: new Date().toISOString(),
    server: ctx.baseUrl || 'ccr',
    request: push.requestId,
  };
  const lines = renderReceipt(receipt, (payload) => ctx.siteKey.signReceipt(payload));
  push.receipt = { new: next, lines };
  return lines;
}

/** The access log entry of a receipt whose push landed (`main` is its `new`). */
export interface ReceiptLogEntry {
  event: 'receipt';
  time: string;
  request: string;
  record: string;
  principal: string;
  new: string;
  receipt: string;
}

/** Keep the receipt of a push that landed; not awaited: it joins the request's own log write. */
export function keepReceipt(ctx: ServerContext, push: PushContext, main: string | null): void {
  if (!push.receipt || push.receipt.new !== main) return;
  const entry: ReceiptLogEntry = {
    event: 'receipt',
    time: new Date().toISOString(),
    request: push.requestId,
    record: push.recordId,
    principal: push.principal.name,
    new: main,
    receipt: `${push.receipt.lines.join('\n')}\n`,
  };
  ctx.accessLog.append(entry).catch((e: unknown) => ctx.log('error', 'access-log-failed', { error: e }));
}
