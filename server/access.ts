// Who may read or push which record (SPEC 9). Participant principals reach only records in which
// they take part in some thread: derived from the ledgers on `main`, remembered per record by
// head commit, and re-read only for threads whose ledger changed. No global scan. A site principal
// that sites.json ties to a peer reaches only the records shared with that peer.

import type { RecordId } from '../core/ids.js';
import type { Oid } from '../core/objects.js';
import { Forbidden } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { rightsOf, type Rights } from '../core/rights.js';
import { threadLedgers, withDelta, type LedgerDelta, type ThreadLedger } from '../core/threadLedgers.js';
import type { Repository } from '../git/repository.js';
import { siteShares, type SitesConfig } from '../sync/peers.js';

interface Entry {
  head: Oid;
  ledgers: Map<string, ThreadLedger>;
  participants: Set<string>;
}

/** The participant ids of each record, cached by head commit. */
export class ParticipantIndex {
  readonly #records = new Map<RecordId, Entry>();
  constructor(private readonly limit = 20_000) {}

  /** The participant ids of every thread of a record at its current head. */
  async participants(id: RecordId, repo: Repository): Promise<Set<string>> {
    const head = await repo.head();
    if (!head) return new Set();
    const known = this.#records.get(id);
    if (known?.head === head) return known.participants;
    return this.#remember(id, head, await threadLedgers(repo.source, head, known?.ledgers));
  }

  /**
   * A push moved `main` of a record from `old` to `head`, changing the thread ledgers by `delta`
   * (derived on a validator thread, server/validator.ts deriveMove): the entry at `old`, if
   * there is one, becomes the entry at `head`. Without one, the next look reads `main`.
   */
  moved(id: RecordId, old: Oid, head: Oid, delta: LedgerDelta): void {
    const known = this.#records.get(id);
    if (known?.head === old) this.#remember(id, head, withDelta(known.ledgers, delta));
  }

  #remember(id: RecordId, head: Oid, ledgers: Map<string, ThreadLedger>): Set<string> {
    const entry: Entry = { head, ledgers, participants: new Set([...ledgers.values()].flatMap((l) => l.participants)) };
    this.#records.delete(id);
    this.#records.set(id, entry);
    if (this.#records.size > this.limit) {
      const oldest = this.#records.keys().next();
      if (!oldest.done) this.#records.delete(oldest.value);
    }
    return entry.participants;
  }
}

/** What a principal wants to do with a record. */
export type RecordAction = 'read' | 'write';

/** Whether a participant took part in some thread of a record before (its view holds one); see ServerViews. */
export type HeldBefore = (p: Principal, id: RecordId) => Promise<boolean>;

/**
 * Whether a principal may read or write a record that exists. A participant writes where it takes
 * part now, and reads there or where `heldBefore` says it took part before (SPEC 12: its view
 * keeps a thread up to its removal).
 */
export async function mayAccess(
  p: Principal,
  action: RecordAction,
  id: RecordId,
  repo: Repository,
  index: ParticipantIndex,
  heldBefore?: HeldBefore,
): Promise<boolean> {
  const r = rightsOf(p);
  if (action === 'write' && !r.write) return false;
  const self = participantOf(p);
  if (r.read === 'as-participant') {
    if (!self) return false;
    if ((await index.participants(id, repo)).has(self.participantId)) return true;
    return action === 'read' && heldBefore !== undefined && (await heldBefore(p, id));
  }
  const shared = sharedRecords(p);
  return shared === undefined || shared.has(id);
}

/** The HeldBefore of a server: a participant's existing view repository. */
export function held(ctx: { views: { heldBefore: HeldBefore } }): HeldBefore {
  return (p, id) => ctx.views.heldBefore(p, id);
}

/** A principal as authenticated, a `site` one bound to the records sites.json shares with its peer. */
export function bindSite(p: Principal, sites: Pick<SitesConfig, 'peers'>): Principal {
  if (p.kind !== 'site') return p;
  const shares = siteShares(sites, p.name);
  return shares === undefined || shares === 'all' ? p : { ...p, records: shares };
}

/** A right an operation needs: a predicate over the rights row of the principal's kind. */
export type Right = (r: Rights) => boolean;

/** Refuse unless the principal's kind has the right; the 403 names the kind and the operation. */
export function allow(p: Principal, right: Right, what: string): void {
  if (!right(rightsOf(p))) throw new Forbidden(`${p.kind} principals may not ${what}`);
}

/**
 * The participant a principal is, if it is one: the union's data (its participant id and name),
 * not a right; what it may do is its kind's row.
 */
export function participantOf(p: Principal): Extract<Principal, { participantId: unknown }> | undefined {
  return 'participantId' in p ? p : undefined;
}

/** The records a principal is confined to (a site bound to a peer by sites.json); undefined, none. */
export function sharedRecords(p: Principal): ReadonlySet<string> | undefined {
  return 'records' in p ? p.records : undefined;
}
