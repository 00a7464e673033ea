// What a fetch asks upload-pack for, read before git sees the request, and whether it may be
// served. Git's own checks do not hold: with protocol v2 upload-pack sends any object named in a
// `want`; with v0 over HTTP it checks commits only (a blob is sent by id); a `shallow` line plus
// `deepen` makes it send the parents of any commit named; `object-info` tells the size of any
// object; `sparse:oid` filters read any blob. So every object id a request names must be
// reachable from the refs the principal may read, and the rest is refused by an allow-list.

import type { Oid } from '../core/objects.js';
import { pktAt } from '../git/pktLine.js';

/** What an upload-pack request names, protocol v0 or v2. */
export interface UploadPackRequest {
  /** The v2 command (`fetch`, `ls-refs`, …); null for a v0 request (always a fetch). */
  command: string | null;
  /** Object ids git would send objects for: `want` and `shallow` lines. */
  objects: string[];
  /** Ref names git would resolve: `want-ref` and `deepen-not` lines. */
  refs: string[];
  /** `filter` specifications. */
  filters: string[];
  /** `have` lines: the id named, and where the pkt-line lies in the body. */
  haves: { oid: string; start: number; end: number }[];
}

/** Read the pkt-lines of an upload-pack request; a string says why it is not one. */
export function parseUploadPackRequest(body: Buffer): UploadPackRequest | string {
  const request: UploadPackRequest = { command: null, objects: [], refs: [], filters: [], haves: [] };
  let first = true;
  for (let i = 0; i < body.length;) {
    const p = pktAt(body, i);
    if (!p) return `expected pkt-lines, found ${JSON.stringify(body.toString('latin1', i, i + 8))} at byte ${i}`;
    if ('special' in p) {
      // flush, delimiter, response end
      i = p.next;
      continue;
    }
    const line = body.toString('utf8', p.start, p.end).replace(/\n$/, '');
    const start = i;
    i = p.next;
    const [word = '', rest = ''] = line.split(/ (.*)/s);
    if (first && line.startsWith('command=')) request.command = line.slice('command='.length);
    else if (word === 'want' || word === 'shallow') request.objects.push(rest.split(' ')[0] ?? '');
    else if (word === 'want-ref' || word === 'deepen-not') request.refs.push(rest);
    else if (word === 'filter') request.filters.push(rest);
    else if (word === 'have') request.haves.push({ oid: rest, start, end: i });
    first = false;
  }
  return request;
}

/** Filters that select objects by kind or size; `sparse:oid` (reads a blob named by the client) is not among them. */
const FILTER = /^(blob:none|blob:limit=\d+[kmg]?|tree:\d+|object:type=(blob|tree|commit|tag))$/;

/** True for an allowed filter, or a `combine:` of allowed ones (each URL-encoded). */
function filterAllowed(spec: string): boolean {
  if (!spec.startsWith('combine:')) return FILTER.test(spec);
  return spec
    .slice('combine:'.length)
    .split('+')
    .every((part) => {
      try {
        return FILTER.test(decodeURIComponent(part));
      } catch {
        return false;
      }
    });
}

/**
 * null: git may answer; else a refusal shown to the client, why the body is not a request at all,
 * or the body git is to answer instead (the same request, some `have` lines screened).
 */
export type Decision = { refusal: string } | { malformed: string } | { body: Buffer } | null;

/** The ids among `oids` not reachable from `tips` (git/reachable.ts). */
export type Unreachable = (tips: Oid[], oids: string[]) => Promise<string[]>;

/** What a principal may fetch from: the refs it may read, by name, and the tips they point at. */
export interface Readable {
  refs: ReadonlyMap<string, Oid>;
  /**
   * True when the repository reaches objects the principal may not read (a view, whose alternate is
   * the record): `have` lines naming them are screened, or git's ACK would tell that they exist.
   */
  screenHaves?: boolean;
}

/**
 * Check a request against what the principal may read. `unreachable` gives the named objects that
 * are not reachable from the readable tips. Gives null when git may answer, a refusal in the words
 * of git's own, or why the body is not an upload-pack request at all.
 */
export async function refuseUploadPack(body: Buffer, readable: Readable, unreachable: Unreachable): Promise<Decision> {
  const request = parseUploadPackRequest(body);
  if (typeof request === 'string') return { malformed: request };
  const refusal = await refusalOf(request, readable, unreachable);
  if (refusal !== null) return { refusal };
  if (!readable.screenHaves || request.haves.length === 0) return null;
  // Git reads the first 40 hex digits of a `have`, in either case, and ignores what follows.
  const haves = request.haves.flatMap((h) => {
    const hex = /^[0-9a-fA-F]{40}/.exec(h.oid)?.[0];
    return hex === undefined ? [] : [{ ...h, oid: hex.toLowerCase() }];
  });
  const outside = new Set(
    await unreachable(
      [...new Set(readable.refs.values())],
      haves.map((h) => h.oid),
    ),
  );
  const screened = haves.filter((h) => outside.has(h.oid));
  if (screened.length === 0) return null;
  // Each becomes the null id, which no repository holds: git answers as for an id it does not have
  // (dropping the line would not do: with no `have` left, git sends the pack at once).
  const body2 = Buffer.from(body);
  for (const h of screened) body2.write(NULL_ID, h.start + 4 + 'have '.length, 'latin1');
  return { body: body2 };
}

const NULL_ID = '0'.repeat(40);

async function refusalOf(
  request: UploadPackRequest,
  readable: Readable,
  unreachable: Unreachable,
): Promise<string | null> {
  if (request.command !== null && request.command !== 'fetch' && request.command !== 'ls-refs') {
    return `ccr: expected command=fetch or command=ls-refs, found command=${request.command}`;
  }
  const filter = request.filters.find((f) => !filterAllowed(f));
  if (filter !== undefined)
    return `ccr: expected an object filter (blob:none, blob:limit=…, tree:…, object:type=…), found ${filter}`;
  const names = new Set(
    [...readable.refs.keys()].flatMap((r) => [r, r.replace(/^refs\//, ''), r.replace(/^refs\/heads\//, '')]),
  );
  const badRef = request.refs.find((r) => !names.has(r));
  if (badRef !== undefined)
    return `ccr: expected want-ref and deepen-not to name ${[...readable.refs.keys()].join(', ')}, found ${badRef}`;
  const badId = request.objects.find((o) => !/^[0-9a-f]{40}$/.test(o));
  if (badId !== undefined)
    return `ccr: expected object ids of 40 hex digits, found ${JSON.stringify(badId.slice(0, 64))}`;
  const outside = await unreachable([...new Set(readable.refs.values())], request.objects);
  if (outside.length > 0)
    return `upload-pack: not our ref ${outside[0]} (ccr serves only objects reachable from the refs you may read)`;
  return null;
}
