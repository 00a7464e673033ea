// Changes to principals, tokens and keys in the access log. The store writes each change's audit
// entry in the change's own transaction (store/identity.ts AuditEntry), so no change exists
// without one, whichever process made it (the server, `ccr principal`, a sign-on). The server
// forwards the entries it has not forwarded yet into <data>/access.log after each change and at
// start: at least once, in order, each with its `seq` (a reader drops a repeated seq).

import type { AuditEntry, IdentityStore } from '../../store/identity.js';

/** An access log line for one change to principals, tokens or keys. */
export interface IdentityLogEntry {
  time: string;
  event: 'identity';
  seq: number;
  /** Who made the change: a principal name, `cli:<os user>`, `oidc:<issuer>` or `server`. */
  actor: string;
  action: AuditEntry['action'];
  /** The principal changed (`*` for a bulk import). */
  principal: string;
  detail: AuditEntry['detail'];
}

/** The access log line of an audit entry. */
export function logEntryOf(e: AuditEntry): IdentityLogEntry {
  return {
    time: e.time,
    event: 'identity',
    seq: e.seq,
    actor: e.actor,
    action: e.action,
    principal: e.principal,
    detail: e.detail,
  };
}

/**
 * Append to the access log every audit entry not forwarded yet, in order, and remember how far
 * it went; gives how many were appended. Runs one at a time per store (callers chain it).
 */
export async function forwardAudit(
  store: IdentityStore,
  append: (e: IdentityLogEntry) => Promise<void>,
  batch = 500,
): Promise<number> {
  let n = 0;
  for (;;) {
    const entries = await store.audit(await store.auditForwarded(), batch);
    if (entries.length === 0) return n;
    for (const e of entries) await append(logEntryOf(e));
    await store.markAuditForwarded(entries.at(-1)!.seq);
    n += entries.length;
  }
}
