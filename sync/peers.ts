// Which sites a server syncs with (SPEC 10): <data>/sites.json names each peer, its base URL, the
// `site` credentials this server uses there, and which records it shares with it.

import { promises as fs } from 'node:fs';
import { InvalidInput } from '../core/errors.js';
import { parseRecordId, type RecordId } from '../core/ids.js';
import { refusals, type Refusal } from '../core/refusal.js';
import { describeSchemaErrors } from '../core/schemaErrors.js';
import type { RecordStore } from '../store/records.js';
import { sitesSchema, validateSites, type Peer } from './sitesSchema.js';

export type { Peer } from './sitesSchema.js';

/** The sync configuration of a server. */
export interface SitesConfig {
  peers: Peer[];
  /** Seconds between background rounds over every shared record (0: only after pushes). */
  interval_seconds: number;
}

/**
 * Check a configuration read from JSON against schemas/sites.schema.json; refused with the first
 * fault in file order (a peer's faults in the order of their rank), then a name used twice, which
 * a schema cannot say.
 */
export function checkSites(value: unknown): SitesConfig {
  const ok = validateSites(value);
  const found = [...(ok ? [] : refusals(sitesSchema, validateSites.errors)), ...namesTwice(value)];
  const first = found.sort((a, b) => indexOf(a) - indexOf(b) || a.rank - b.rank)[0];
  if (first) throw new InvalidInput(`${whereIn(value, first.instancePath)}: ${first.text}`);
  if (!ok) throw new InvalidInput(`sites.json: ${describeSchemaErrors(validateSites.errors).join('; ')}`);
  return { peers: value.peers, interval_seconds: value.interval_seconds ?? 60 };
}

/** The peer of a fault (its index in file order); faults outside the peers come last. */
const indexOf = (r: Refusal) => Number(/^\/peers\/(\d+)/.exec(r.instancePath)?.[1] ?? Infinity);

/** Peers named as an earlier peer is: a fault of the name, which a JSON Schema cannot say. */
function namesTwice(value: unknown): Refusal[] {
  const peers: unknown = value && typeof value === 'object' ? Reflect.get(value, 'peers') : undefined;
  if (!Array.isArray(peers)) return [];
  const seen = new Set<string>();
  return peers.flatMap((p: unknown, i) => {
    const name: unknown = p && typeof p === 'object' ? Reflect.get(p, 'name') : undefined;
    if (typeof name !== 'string') return [];
    if (!seen.has(name)) {
      seen.add(name);
      return [];
    }
    return [
      { instancePath: `/peers/${i}/name`, rank: 1, text: 'expected a unique name of letters, digits, ., _ or -' },
    ];
  });
}

/** Where a fault is, as refusals have always named it: `sites.json peer "b"`, or `sites.json`. */
function whereIn(value: unknown, instancePath: string): string {
  const m = /^\/peers\/(\d+)(?:\/|$)/.exec(instancePath);
  if (!m) return 'sites.json';
  const peers: unknown = value && typeof value === 'object' ? Reflect.get(value, 'peers') : undefined;
  const p: unknown = Array.isArray(peers) ? peers[Number(m[1])] : undefined;
  const name: unknown = p && typeof p === 'object' ? Reflect.get(p, 'name') : undefined;
  return `sites.json peer ${JSON.stringify(name ?? '?')}`;
}

/** Read <data>/sites.json; no file means no peers. */
export async function loadSites(data: string): Promise<SitesConfig> {
  try {
    return checkSites(JSON.parse(await fs.readFile(`${data}/sites.json`, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { peers: [], interval_seconds: 0 };
    throw e;
  }
}

/** The records a peer shares that this site holds, in id order. */
export async function sharedRecords(peer: Peer, records: Pick<RecordStore, 'list'>): Promise<RecordId[]> {
  // checkSites let only record ids into the list; parsing them again is what gives them the type.
  if (peer.records !== 'all') return peer.records.map(parseRecordId).filter((r): r is RecordId => r !== null);
  const ids: RecordId[] = [];
  for (
    let after: RecordId | undefined, page;
    (page = await records.list(after, 1000)).records.length > 0;
    after = page.next
  ) {
    ids.push(...page.records);
    if (!page.next) break;
  }
  return ids;
}

/** True when the peer shares the record. */
export function shares(peer: Peer, id: string): boolean {
  return peer.records === 'all' || peer.records.includes(id);
}

/**
 * What a `site` principal may reach: the records shared with the peers that name it (`all` if any
 * shares everything), or undefined when no peer names it (SPEC 9: every record).
 */
export function siteShares(
  config: Pick<SitesConfig, 'peers'>,
  principal: string,
): 'all' | ReadonlySet<string> | undefined {
  const peers = config.peers.filter((p) => p.principal === principal);
  if (peers.length === 0) return undefined;
  if (peers.some((p) => p.records === 'all')) return 'all';
  return new Set(peers.flatMap((p) => (p.records === 'all' ? [] : p.records)));
}

/** The peer's token. */
export function tokenOf(peer: Peer): string {
  const token = peer.token ?? (peer.token_env ? process.env[peer.token_env] : undefined);
  if (!token) throw new InvalidInput(`no token for peer ${peer.name} (set ${peer.token_env ?? 'token'})`);
  return token;
}
