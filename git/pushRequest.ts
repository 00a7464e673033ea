// The body of a receive-pack request (git's pack protocol, version 0 and 1): the ref updates as
// pkt-lines up to a flush, then the pack. Read so that a push can be
// judged while git indexes the same bytes (server/prejudge.ts); a body in any other shape (a
// shallow push, a signed push certificate, protocol version 2) gives null and is judged only
// from receive-pack's quarantine, as every push once was.

const OID = /^[0-9a-f]{40}$/;

/** The ref updates of a push request and the pack after them. */
export interface PushRequest {
  updates: Array<{ old: string; new: string; ref: string }>;
  pack: Buffer;
}

/** Read a receive-pack request body; null when it is not the plain shape above. */
export function parsePushRequest(body: Buffer): PushRequest | null {
  let at = 0;
  /** The next pkt-line's payload; '' for a flush; null when the body ends or breaks. */
  const next = (): string | null => {
    if (at + 4 > body.length) return null;
    const head = body.toString('latin1', at, at + 4);
    if (!/^[0-9a-f]{4}$/.test(head)) return null;
    const length = parseInt(head, 16);
    if (length === 0) {
      at += 4;
      return '';
    }
    if (length < 5 || at + length > body.length) return null;
    const payload = body.toString('latin1', at + 4, at + length);
    at += length;
    return payload;
  };
  const updates: PushRequest['updates'] = [];
  let capabilities: string[] = [];
  for (let line = next(); line !== ''; line = next()) {
    if (line === null) return null;
    const nul = line.indexOf('\0');
    if (updates.length === 0) {
      if (nul === -1) return null;
      capabilities = line
        .slice(nul + 1)
        .trim()
        .split(' ');
    } else if (nul !== -1) return null;
    const [old, next_, ref, ...rest] = (nul === -1 ? line : line.slice(0, nul)).replace(/\n$/, '').split(' ');
    if (!old || !next_ || !ref || rest.length > 0 || !OID.test(old) || !OID.test(next_)) return null;
    updates.push({ old, new: next_, ref });
  }
  // The server advertises neither signed pushes nor push options (receive.advertisePushOptions is
  // off): git would read such a request otherwise than as written, so it is not read here at all.
  if (updates.length === 0 || capabilities.includes('push-cert') || capabilities.includes('push-options')) return null;
  if (at >= body.length) return null;
  return { updates, pack: body.subarray(at) };
}
