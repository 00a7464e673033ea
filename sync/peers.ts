// Which sites a server syncs with (SPEC 10): <data>/sites.json names each peer, its base URL, the
// `site` credentials this server uses there, and which records it shares with it.

import { promises as fs } from 'node:fs';
import { InvalidInput } from '../core/errors.js';
import { isUuid, type RecordId } from '../core/ids.js';
import type { RecordStore } from '../store/records.js';

/** A peer site as configured. */
export interface Peer {
  /** A short name, used in refs, logs and metrics. */
  name: string;
  /** Base URL of the peer's CCR server, e.g. https://ccr.site-b.example. */
  url: string;
  /** This server's `site` principal at the peer. */
  user: string;
  /** Its token, given here or (better) in the environment variable named by `token_env`. */
  token?: string;
  token_env?: string;
  /** Records shared with this peer: every record, or a list. */
  records: 'all' | string[];
  /**
   * The name of the peer's own `site` principal here. That principal then reads, pushes and creates
   * only the records shared with this peer (required with a list of records).
   */
  principal?: string;
  /** A CA certificate file for an https peer with a private CA. */
  ca?: string;
}

/** The sync configuration of a server. */
export interface SitesConfig {
  peers: Peer[];
  /** Seconds between background rounds over every shared record (0: only after pushes). */
  interval_seconds: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Check a configuration read from JSON. */
export function checkSites(value: unknown): SitesConfig {
  const v = value as Partial<SitesConfig> | null;
  if (!v || !Array.isArray(v.peers)) throw new InvalidInput('sites.json: expected { "peers": [ … ] }');
  const names = new Set<string>();
  for (const p of v.peers as Array<Partial<Peer>>) {
    const where = `sites.json peer ${JSON.stringify(p?.name ?? '?')}`;
    if (!p || typeof p.name !== 'string' || !NAME.test(p.name) || names.has(p.name)) throw new InvalidInput(`${where}: expected a unique name of letters, digits, ., _ or -`);
    names.add(p.name);
    if (typeof p.url !== 'string' || !/^https?:\/\/[^/]+/.test(p.url)) throw new InvalidInput(`${where}: expected an http(s) url`);
    if (typeof p.user !== 'string' || (typeof p.token !== 'string' && typeof p.token_env !== 'string')) throw new InvalidInput(`${where}: expected user and token (or token_env)`);
    if (p.records !== 'all' && !(Array.isArray(p.records) && p.records.every(isUuid))) throw new InvalidInput(`${where}: expected records to be "all" or a list of record ids`);
    if (p.principal !== undefined && (typeof p.principal !== 'string' || p.principal === '')) throw new InvalidInput(`${where}: expected principal to be a principal name`);
    // A list without the peer's principal would limit what we send, not what the peer may take.
    if (p.records !== 'all' && p.principal === undefined) {
      throw new InvalidInput(`${where}: expected principal (the name of the peer's site principal here) with a list of records, so the peer reaches only those`);
    }
  }
  const interval = v.interval_seconds ?? 60;
  if (typeof interval !== 'number' || interval < 0) throw new InvalidInput('sites.json: expected interval_seconds ≥ 0');
  return { peers: v.peers as Peer[], interval_seconds: interval };
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
  if (peer.records !== 'all') return peer.records as RecordId[];
  const ids: RecordId[] = [];
  for (let after: RecordId | undefined, page; (page = await records.list(after, 1000)).records.length > 0; after = page.next) {
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
export function siteShares(config: Pick<SitesConfig, 'peers'>, principal: string): 'all' | ReadonlySet<string> | undefined {
  const peers = config.peers.filter((p) => p.principal === principal);
  if (peers.length === 0) return undefined;
  if (peers.some((p) => p.records === 'all')) return 'all';
  return new Set(peers.flatMap((p) => p.records as string[]));
}

/** The peer's token. */
export function tokenOf(peer: Peer): string {
  const token = peer.token ?? (peer.token_env ? process.env[peer.token_env] : undefined);
  if (!token) throw new InvalidInput(`no token for peer ${peer.name} (set ${peer.token_env ?? 'token'})`);
  return token;
}
