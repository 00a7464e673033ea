// The durable events feed (issue 16): every time `main` of a record moves, by whatever way (a push,
// an API or server-side write, a sync round, a creation: the server's `mainMoved` hooks and the
// sync scheduler's callback), the events between the head last recorded and the head now are
// derived (core/events.ts) and stored in <data>/events.sqlite, with the deliveries they promise to
// webhooks, in one transaction with the new head. Moves of one record are coalesced and run one at
// a time, always reading the latest head. At start every record is compared with its recorded
// head, so a server that died between a ref move and its recording catches up. A landed push's
// events come derived already, by the same function on a validator thread (server/validator.ts
// deriveMove): they stand for exactly the move from its old head to its new one.

import { ByteLru } from '../../core/byteLru.js';
import { deriveEvents, type EventKind, type KnownEvents, type RecordEvent } from '../../core/events.js';
import { randomBytes } from 'node:crypto';
import { InvalidInput } from '../../core/errors.js';
import type { RecordId } from '../../core/ids.js';
import { parseOid, type Oid } from '../../core/objects.js';
import type { Principal } from '../../core/principal.js';
import { rightsOf } from '../../core/rights.js';
import { participantOf, sharedRecords } from '../access.js';
import { firstParentsSince } from '../../git/firstParents.js';
import { oidsOfLine } from '../../git/oidLines.js';
import { runGit } from '../../git/run.js';
import type { Db } from '../../store/sqlite/db.js';
import { silentLogger, type Logger } from '../log.js';
import type { Repository } from '../../git/repository.js';
import { RecordStore } from '../../store/records.js';
import { SerialRuns } from '../serialRuns.js';

/** An event as readers see it: the audience stays inside. */
export interface FeedEvent {
  /** Its place in the feed: give it as `after` to read what follows. */
  cursor: string;
  kind: EventKind;
  record: string;
  thread?: string;
  message?: string;
  changes?: string[];
  commit: string;
  head: string;
  time: string;
}

/** A page of the feed; `next` is the cursor to ask after (the last event's, or `after` itself when none). */
export interface FeedPage {
  events: FeedEvent[];
  next: string;
}

/** A stored event row. */
export interface EventRow {
  seq: number;
  record: string;
  kind: EventKind;
  thread: string | null;
  message: string | null;
  changes: string | null;
  commit_oid: string;
  head: string;
  time: string;
}

/** A row as readers see it. */
export function feedEvent(r: EventRow): FeedEvent {
  return {
    cursor: String(r.seq),
    kind: r.kind,
    record: r.record,
    ...(r.thread !== null ? { thread: r.thread } : {}),
    ...(r.message !== null ? { message: r.message } : {}),
    ...(r.changes !== null ? { changes: JSON.parse(r.changes) as string[] } : {}),
    commit: r.commit_oid,
    head: r.head,
    time: r.time,
  };
}

/** Who receives what: decides, inside the recording transaction, the deliveries an event promises. */
export type Fanout = (event: RecordEvent, seq: number, now: number) => void;

/** Parse `after` and `limit` of GET /api/events. */
export function pageParams(after: string | undefined, limit: string | undefined): { after: number; limit: number } {
  const a = after === undefined || after === '' ? 0 : Number(after);
  if (!/^\d{0,16}$/.test(after ?? '') || !Number.isSafeInteger(a))
    throw new InvalidInput('expected after to be a cursor of the feed (a number)');
  const n = limit === undefined ? 100 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidInput('expected limit between 1 and 1000');
  return { after: a, limit: n };
}

/** The events feed of a server. */
/** Bytes of derived events held for moves not yet recorded, every record together. */
export const KNOWN_EVENTS_BYTES = 4 * 1024 * 1024;

/** A generous estimate of what a batch of derived events holds in memory. */
function knownBytes(k: KnownEvents): number {
  return k.events.reduce((n, e) => n + 512 + 64 * e.audience.length, 256);
}

export class EventFeed {
  readonly #runs = new SerialRuns<RecordId>((id) =>
    this.#record(id).then(
      () => {
        this.#failures.delete(id);
      },
      (e: unknown) => {
        const failures = (this.#failures.get(id) ?? 0) + 1;
        this.#failures.set(id, failures);
        this.log('error', 'events-record-failed', { record: id, failures, error: e });
        // Tried again later (the next move, or the next start, would catch it up too).
        if (failures <= 5 && !this.#stopping) setTimeout(() => this.moved(id), 1000 * 2 ** failures).unref();
      },
    ),
  );
  readonly #reader: RecordStore;
  readonly #fanouts: Fanout[] = [];
  readonly #recorded: Array<() => void> = [];
  /** Records whose moves were reported since start: a first start's baseline leaves them to `moved`. */
  readonly #touched = new Set<string>();
  #stopping = false;
  /** Failed recordings in a row, per record: tried again after a pause, a few times. */
  readonly #failures = new Map<string, number>();
  /** The events of a record's last move, as a validator thread derived them, until recorded. */
  readonly #known = new ByteLru<KnownEvents>(KNOWN_EVENTS_BYTES);
  /** Batches recorded from events derived already, and from reading `main` (tests, benchmarks). */
  readonly batches = { known: 0, read: 0 };

  /**
   * @param db the events database
   * @param records the server's records (read only: the feed never takes a record lock)
   */
  constructor(
    readonly db: Db,
    records: RecordStore,
    private readonly log: Logger = silentLogger,
  ) {
    this.#reader = new RecordStore(records.root);
  }

  /** Add who decides deliveries (webhooks) and who is told after a batch is stored. */
  subscribe(fanout: Fanout, recorded: () => void): void {
    this.#fanouts.push(fanout);
    this.#recorded.push(recorded);
  }

  /**
   * `main` of a record moved: record its events (in the background; a `mainMoved` hook). `known`:
   * the move's events derived already, used if the move recorded next is that very one.
   */
  moved(id: RecordId, known?: KnownEvents): void {
    this.#touched.add(id);
    this.#known.delete(id);
    if (known) this.#known.set(id, known, knownBytes(known));
    this.#runs.request(id);
  }

  /** Stop catching up (shutdown); what is not recorded is caught up at the next start. */
  stop(): void {
    this.#stopping = true;
  }

  /** Resolves when no recording is running (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#runs.idle();
  }

  /** The head recorded for a record, or null. */
  recordedHead(id: string): Oid | null {
    const row = this.db.prepare('SELECT head FROM heads WHERE record = ?').get(id) as { head: string } | undefined;
    return row ? parseOid(row.head) : null;
  }

  /** Bring one record's events up to its current head; the number of events stored. */
  async #record(id: RecordId): Promise<number> {
    const repo = await this.#reader.open(id);
    const head = repo ? await repo.head() : null;
    // Events derived for the last move are of use to this run only (a later move brings its own).
    const known = this.#known.get(id);
    this.#known.delete(id);
    if (!repo || !head) return 0;
    const old = this.recordedHead(id);
    if (old === head) return 0;
    const derived = known?.old === old && known.head === head;
    const events = derived ? known.events : await this.#read(id, repo, old, head);
    if (!this.#store(id, old, head, events)) {
      this.#runs.again(id); // recorded meanwhile by another way: read again from what is recorded now
      return 0;
    }
    this.batches[derived ? 'known' : 'read']++;
    if (events.length > 0) for (const fn of this.#recorded) fn();
    return events.length;
  }

  /** The events of `main` moving from the head recorded (`old`) to `head`, read from the record. */
  async #read(id: RecordId, repo: Repository, old: Oid | null, head: Oid): Promise<RecordEvent[]> {
    let from = old;
    // Read in process when the recorded head is a few first parents back (after every push); git otherwise.
    const near = await firstParentsSince(repo.source, from, head);
    let listed = near
      ? { code: 0, stdout: Buffer.from(near.join('\n')), stderr: '' }
      : await runGit([
          '--git-dir',
          repo.gitdir,
          'rev-list',
          '--first-parent',
          '--reverse',
          from ? `${from}..${head}` : head,
        ]);
    if (listed.code !== 0 && from) {
      // The recorded head is not in this repository (it was replaced from a backup): read it again
      // from its root, leaving out what the feed already holds.
      this.log('warn', 'events-head-unknown', { record: id, recorded: from, head });
      from = null;
      listed = await runGit(['--git-dir', repo.gitdir, 'rev-list', '--first-parent', '--reverse', head]);
    }
    if (listed.code !== 0) throw new Error(`git rev-list failed: ${listed.stderr.toString().trim()}`);
    const chain = listed.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => oidsOfLine(line, 'git rev-list'));
    let events = await deriveEvents(repo.source, id, from, chain);
    if (from === null && old !== null) {
      const key = (e: {
        kind: string;
        thread?: string | null;
        message?: string | null;
        commit?: string;
        commit_oid?: string;
      }) =>
        `${e.kind}|${e.thread ?? ''}|${e.message ?? ''}|${e.kind.endsWith('.updated') ? (e.commit ?? e.commit_oid) : ''}`;
      const held = new Set(
        (
          this.db.prepare('SELECT kind, thread, message, commit_oid FROM events WHERE record = ?').all(id) as EventRow[]
        ).map(key),
      );
      events = events.filter((e) => !held.has(key(e)));
    }
    return events;
  }

  /**
   * Store a batch with its deliveries and the new head, in one transaction; false (nothing stored)
   * when the recorded head is no longer the one the batch started from.
   */
  #store(id: string, old: string | null, head: string, events: RecordEvent[]): boolean {
    const insert = this.db.prepare(`INSERT INTO events (record, kind, thread, message, changes, commit_oid, head, time)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const audience = this.db.prepare('INSERT OR IGNORE INTO audience (participant, seq) VALUES (?, ?)');
    const now = Date.now();
    return this.db
      .transaction(() => {
        if (this.recordedHead(id) !== old) return false;
        for (const e of events) {
          const seq = Number(
            insert.run(
              e.record,
              e.kind,
              e.thread ?? null,
              e.message ?? null,
              e.changes ? JSON.stringify(e.changes) : null,
              e.commit,
              e.head,
              e.time,
            ).lastInsertRowid,
          );
          for (const p of e.audience) audience.run(p, seq);
          for (const fanout of this.#fanouts) fanout(e, seq, now);
        }
        this.db
          .prepare(
            'INSERT INTO heads (record, head) VALUES (?, ?) ON CONFLICT (record) DO UPDATE SET head = excluded.head',
          )
          .run(id, head);
        return true;
      })
      .immediate();
  }

  /**
   * Compare every record with its recorded head and record what is missing. A feed made at this
   * start (`baseline`) takes the heads as they are, without events: it begins now, not with the
   * history of every record.
   */
  async catchUp(
    list: (after: string | undefined, limit: number) => Promise<{ records: RecordId[]; next?: string }>,
    baseline: boolean,
  ): Promise<{ checked: number; moved: number }> {
    const out = { checked: 0, moved: 0 };
    let after: string | undefined;
    do {
      const page = await list(after, 500);
      for (const id of page.records) {
        if (this.#stopping) return out;
        out.checked++;
        const repo = await this.#reader.open(id);
        const head = repo ? await repo.head() : null;
        if (!head || this.recordedHead(id) === head) continue;
        out.moved++;
        if (baseline && !this.#touched.has(id)) {
          this.db.prepare('INSERT OR IGNORE INTO heads (record, head) VALUES (?, ?)').run(id, head);
          continue;
        }
        // One record at a time: a long outage does not start a rev-list per record at once.
        this.moved(id);
        await this.#runs.running(id);
      }
      after = page.next;
    } while (after !== undefined);
    await this.idle();
    this.log('info', 'events-caught-up', { ...out, baseline });
    return out;
  }

  /**
   * A page of the events a principal may read, after a cursor, in feed order. Participants: the
   * events of threads in their view (the audience stored with each); a site principal bound to
   * some records: those records' events; admin, auditor, integration and other sites: all.
   */
  page(p: Principal, after: number, limit: number): FeedPage {
    let rows: EventRow[];
    // What it reads is its kind's `read`: a participant, its audience; others, every record (or a bound site's).
    const shared = sharedRecords(p);
    if (rightsOf(p).read === 'as-participant') {
      rows = this.db
        .prepare(
          `SELECT e.* FROM audience a JOIN events e ON e.seq = a.seq
        WHERE a.participant = ? AND a.seq > ? ORDER BY a.seq LIMIT ?`,
        )
        .all(participantOf(p)?.participantId ?? null, after, limit) as EventRow[];
    } else if (shared !== undefined) {
      rows = this.db
        .prepare(
          `SELECT * FROM events WHERE seq > ? AND record IN (SELECT value FROM json_each(?))
        ORDER BY seq LIMIT ?`,
        )
        .all(after, JSON.stringify([...shared]), limit) as EventRow[];
    } else {
      rows = this.db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as EventRow[];
    }
    return { events: rows.map(feedEvent), next: String(rows.at(-1)?.seq ?? after) };
  }

  /** One stored event by its place in the feed. */
  event(seq: number): EventRow | null {
    return (this.db.prepare('SELECT * FROM events WHERE seq = ?').get(seq) as EventRow | undefined) ?? null;
  }
}

/** A new random identifier with a prefix (`hook_…`, `dlv_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
