// The body of a receive-pack request (git's pack protocol, version 0 and 1): the ref updates as
// pkt-lines (git/pktLine.ts) up to a flush, then the pack. Read so that a push can be judged
// while git indexes the same bytes (server/prejudge.ts); a body in any other shape (a shallow
// push, a signed push certificate, push options, protocol version 2) gives null and is judged
// only from receive-pack's quarantine, as every push once was.

import { pktAt } from './pktLine.js';

const OID = /^[0-9a-f]{40}$/;
/** A ref name without spaces or control characters (the rules judge the rest of git's format). */
const REF = /^[^\x00-\x20\x7f]+$/;

/** One ref line of a push: `old new ref`. */
export interface RefLine {
  old: string;
  new: string;
  ref: string;
}

/**
 * A ref line as git gives it, in a push request or to the pre-receive hook: two full object ids
 * and a ref name, one space apart; null for anything else.
 */
export function parseRefLine(text: string): RefLine | null {
  const [old, next, ref, ...rest] = text.split(' ');
  if (!old || !next || !ref || rest.length > 0 || !OID.test(old) || !OID.test(next) || !REF.test(ref)) return null;
  return { old, new: next, ref };
}

/** The ref updates of a push request and the pack after them. */
export interface PushRequest {
  updates: RefLine[];
  /** What the client asked of the server on its first ref line (`report-status`, `side-band-64k`, …). */
  capabilities: string[];
  pack: Buffer;
}

/** Read a receive-pack request body; null when it is not the plain shape above. */
export function parsePushRequest(body: Buffer): PushRequest | null {
  const updates: PushRequest['updates'] = [];
  let capabilities: string[] = [];
  let at = 0;
  for (;;) {
    const p = pktAt(body, at);
    if (!p) return null;
    at = p.next;
    if ('special' in p) {
      if (p.special !== 0) return null;
      break;
    }
    const line = body.toString('latin1', p.start, p.end);
    const nul = line.indexOf('\0');
    if (updates.length === 0) {
      if (nul === -1) return null;
      capabilities = line
        .slice(nul + 1)
        .trim()
        .split(' ');
    } else if (nul !== -1) return null;
    // git chomps the newline that ends a pkt-line; one before the NUL is part of the ref name.
    const update = parseRefLine(nul === -1 ? line.replace(/\n$/, '') : line.slice(0, nul));
    if (!update) return null;
    updates.push(update);
  }
  // The server advertises neither signed pushes nor push options (receive.advertisePushOptions is
  // off): git would read such a request otherwise than as written, so it is not read here at all.
  if (updates.length === 0 || capabilities.includes('push-cert') || capabilities.includes('push-options')) return null;
  if (at >= body.length) return null;
  return { updates, capabilities, pack: body.subarray(at) };
}
