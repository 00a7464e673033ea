// Sync in the background of a server: a round for a record with every peer that shares it soon
// after a push moved its main, and rounds over every shared record on an interval. A peer that is
// down is retried with growing pauses (back-off), and never holds up local writes: rounds run
// beside the request path, and hold a record's lock only to move its main. A round ends within its
// budget whatever the peer does (sync/round.ts), so a hanging peer holds a slot no longer than
// that, and while another peer has rounds waiting it holds one slot at most; rounds due with a peer
// that is backing off wait for the pause to end, never lost.
//
// Two sites that merge the same pair at once write two merges (each signs its own) and refuse
// each other's push; on fixed ticks they would do it again on every tick for as long as a round
// outlasts the gap between their clocks. So a record's round never runs twice at once with one
// peer, and a round whose push the peer refused is followed by a random pause that doubles while
// that goes on: the first site out of its pause merges alone and the other fast-forwards. (A peer
// that refuses by its rules is asked less and less often, down to the peer-down back-off's pace.)

import type { RecordId } from '../core/ids.js';
import type { RecordStore } from '../store/records.js';
import { shares, sharedRecords, type Peer, type SitesConfig } from './peers.js';
import { syncRecord, type RoundReport, type SyncContext } from './round.js';

/**
 * Where the scheduler writes its events: the server's logger fits (server/log.ts). Declared here,
 * by what the scheduler calls, so that sync/ does not import the server.
 */
export type SyncLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  event: string,
  fields?: Record<string, unknown>,
) => void;

/** What the scheduler counts: the server's Metrics fits (server/metrics.ts), declared here for the same reason. */
export interface SyncMetrics {
  sync: { inc(labels: { peer: string; outcome: string }): void };
}

const MAX_BACKOFF_MS = 5 * 60 * 1000;

/** The key of a record's rounds with one peer (the queue's, the running set's, the pauses'). */
const keyOf = (peer: Peer, record: RecordId) => `${peer.name} ${record}`;

/** The random pause after the `retries`-th collision in a row of a round that took `took` ms. */
function contentionPause(retries: number, took: number): number {
  return Math.floor(Math.random() * Math.min(MAX_BACKOFF_MS, Math.max(500, took) * 2 ** retries));
}

/** Background sync of one server. */
export class SyncScheduler {
  readonly #queue = new Map<string, { peer: Peer; record: RecordId }>();
  readonly #backoff = new Map<string, { until: number; pause: number }>();
  /** Records due with a peer that is backing off, by peer name: queued again when the pause ends. */
  readonly #waiting = new Map<string, Set<RecordId>>();
  readonly #debounce = new Map<string, NodeJS.Timeout>();
  /** Rounds running, by key (peer and record): a key's next round waits in the queue. */
  readonly #active = new Set<string>();
  /** Rounds whose push the peer refused, by key: how many times in a row, and the pause's timer. */
  readonly #contention = new Map<string, { retries: number; timer: NodeJS.Timeout | null }>();
  /** Rounds running, by peer name. */
  readonly #busy = new Map<string, number>();
  #running = 0;
  #interval: NodeJS.Timeout | undefined;
  #stopped = false;
  #idle: Array<() => void> = [];

  constructor(
    private readonly sites: SitesConfig,
    private readonly ctx: SyncContext,
    private readonly records: RecordStore,
    private readonly log: SyncLog,
    private readonly metrics: SyncMetrics,
    private readonly concurrency = 2,
    /**
     * Told when a round moved `main` here (a fast-forward, or a merge whether or not the peer took
     * it): the events feed, the "my records" index.
     */
    private readonly moved: (record: RecordId) => void = () => undefined,
  ) {}

  start(): void {
    if (this.sites.interval_seconds > 0 && this.sites.peers.length > 0) {
      this.#interval = setInterval(() => void this.everything(), this.sites.interval_seconds * 1000);
      this.#interval.unref();
    }
  }

  /** A push moved a record's main: sync it with its peers shortly (pushes in a burst share a round). */
  pushed(record: RecordId): void {
    if (this.#stopped || this.sites.peers.length === 0) return;
    clearTimeout(this.#debounce.get(record));
    this.#debounce.set(
      record,
      setTimeout(() => {
        this.#debounce.delete(record);
        for (const peer of this.sites.peers) if (shares(peer, record)) this.#enqueue(peer, record);
      }, 200).unref(),
    );
  }

  /** Queue a round for every record shared with every peer that is not backing off. */
  async everything(): Promise<void> {
    for (const peer of this.sites.peers) {
      if ((this.#backoff.get(peer.name)?.until ?? 0) > Date.now()) continue;
      for (const id of await sharedRecords(peer, this.records)) this.#enqueue(peer, id);
    }
  }

  /**
   * Resolves when no round is queued or running. Rounds due after a pause (a peer backing off, a
   * peer that refused our push) are neither: they may still be due when this resolves.
   */
  idle(): Promise<void> {
    return this.#running === 0 && this.#queue.size === 0 ? Promise.resolve() : new Promise((r) => this.#idle.push(r));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#interval);
    for (const t of this.#debounce.values()) clearTimeout(t);
    for (const c of this.#contention.values()) if (c.timer) clearTimeout(c.timer);
    this.#queue.clear();
    this.#waiting.clear();
    await this.idle();
  }

  #enqueue(peer: Peer, record: RecordId): void {
    if (this.#stopped) return;
    const key = keyOf(peer, record);
    // In a pause after a collision: the pause's end queues the round.
    if (this.#contention.get(key)?.timer) return;
    this.#queue.set(key, { peer, record });
    this.#pump();
  }

  /**
   * The next job to run, never one whose key has a round running: the first one of a peer with no
   * round running, else the first one. So a slow or hanging peer takes one slot while another peer
   * has rounds waiting, and every slot when it is the only one with work.
   */
  #next(): [string, { peer: Peer; record: RecordId }] | undefined {
    let first: [string, { peer: Peer; record: RecordId }] | undefined;
    for (const entry of this.#queue) {
      if (this.#active.has(entry[0])) continue;
      if (!this.#busy.get(entry[1].peer.name)) return entry;
      first ??= entry;
    }
    return first;
  }

  #pump(): void {
    for (let next; this.#running < this.concurrency && (next = this.#next());) {
      const [key, job] = next;
      this.#queue.delete(key);
      if ((this.#backoff.get(job.peer.name)?.until ?? 0) > Date.now()) {
        this.#waiting.set(job.peer.name, (this.#waiting.get(job.peer.name) ?? new Set()).add(job.record));
        continue;
      }
      this.#running++;
      this.#active.add(key);
      this.#busy.set(job.peer.name, (this.#busy.get(job.peer.name) ?? 0) + 1);
      void this.#round(job.peer, job.record).finally(() => {
        this.#running--;
        this.#active.delete(key);
        this.#busy.set(job.peer.name, this.#busy.get(job.peer.name)! - 1);
        this.#pump();
        if (this.#running === 0 && this.#queue.size === 0) for (const r of this.#idle.splice(0)) r();
      });
    }
  }

  async #round(peer: Peer, record: RecordId): Promise<RoundReport | null> {
    let r: RoundReport;
    const started = Date.now();
    this.log('debug', 'sync-round-start', { record, peer: peer.name });
    try {
      const repo = await this.records.open(record);
      if (!repo) {
        this.#contention.delete(keyOf(peer, record));
        return null;
      }
      r = await syncRecord(this.ctx, repo, peer, record);
    } catch (e) {
      r = { record, peer: peer.name, outcome: 'failed', main: null, detail: (e as Error).message };
    }
    this.metrics.sync.inc({ peer: peer.name, outcome: r.outcome });
    if (r.movedHere) this.moved(record);
    const level =
      r.outcome.startsWith('refused') || r.outcome === 'conflict' || r.outcome === 'failed' ? 'warn' : 'info';
    this.log(level, 'sync-round', { ...r, findings: r.findings?.map((f) => f.rule) });
    this.#collided(peer, record, r.refusedByPeer === true, Date.now() - started);
    if (r.outcome === 'peer-down') {
      const pause = Math.min((this.#backoff.get(peer.name)?.pause ?? 500) * 2, MAX_BACKOFF_MS);
      this.#backoff.set(peer.name, { until: Date.now() + pause, pause });
      this.#waiting.set(peer.name, (this.#waiting.get(peer.name) ?? new Set()).add(record));
      setTimeout(() => this.#resume(peer), pause).unref();
    } else {
      this.#backoff.delete(peer.name);
      this.#resume(peer);
    }
    return r;
  }

  /**
   * After a round: one whose push the peer refused is followed by a random pause, longer with
   * each refusal in a row, and then run again; any other outcome ends the series.
   */
  #collided(peer: Peer, record: RecordId, collided: boolean, took: number): void {
    const key = keyOf(peer, record);
    if (!collided || this.#stopped) {
      this.#contention.delete(key);
      return;
    }
    const c = this.#contention.get(key) ?? { retries: 0, timer: null };
    c.retries++;
    const pause = contentionPause(c.retries, took);
    this.log('debug', 'sync-round-pause', { record, peer: peer.name, retries: c.retries, pause_ms: pause });
    this.#contention.set(key, c);
    this.#queue.delete(key);
    c.timer = setTimeout(() => {
      c.timer = null;
      this.#enqueue(peer, record);
    }, pause).unref();
  }

  /** Queue again the rounds that waited for a peer's pause to end. */
  #resume(peer: Peer): void {
    // The pause is over, even when its timer fires a millisecond before `until` (it can): else the
    // rounds would go back to waiting with no timer left to resume them.
    const backoff = this.#backoff.get(peer.name);
    if (backoff) backoff.until = 0;
    const waiting = this.#waiting.get(peer.name);
    this.#waiting.delete(peer.name);
    for (const record of waiting ?? []) this.#enqueue(peer, record);
  }
}
