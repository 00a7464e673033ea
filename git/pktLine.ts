// pkt-lines, git's protocol framing: four hex digits giving the line's length (those four
// included), then its payload; `0000` to `0002` are the flush, delimiter and response-end
// packets. Read for the two requests the server looks into before git does: a fetch's
// (server/uploadPack.ts) and a push's (git/pushRequest.ts).

/** A pkt-line: a special packet (its code) or a payload's bounds; `next` is where the next begins. */
export type Pkt = { special: 0 | 1 | 2; next: number } | { start: number; end: number; next: number };

/** The pkt-line at `at`; null when the bytes there are not one (or it runs past the end). */
export function pktAt(body: Buffer, at: number): Pkt | null {
  const head = body.toString('latin1', at, at + 4);
  if (!/^[0-9a-fA-F]{4}$/.test(head)) return null;
  const size = parseInt(head, 16);
  if (size < 3) return { special: size as 0 | 1 | 2, next: at + 4 };
  if (size === 3 || at + size > body.length) return null;
  return { start: at + 4, end: at + size, next: at + size };
}
