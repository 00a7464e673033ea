// Keeps "my records" (store/identity.ts RecordIndex) up to date. Every way a ledger changes ends
// in `main` moving (a push, an API or server-side write, a sync round, a creation), and the
// server calls its `mainMoved` hooks then: `moved(id)` is one of them. The indexer reads the
// record's participants at its current head (who may write: server/access.ts; one removed from every
// thread still reads what its view kept, by id, but is no longer listed) and
// writes the difference. Moves of one record are coalesced and run one at a time, always reading
// the latest head, so a slow update can never overwrite a newer one. `rebuild` makes a lost or
// stale index right again from the records themselves.

import type { Principal } from '../../core/principal.js';
import { rightsOf } from '../../core/rights.js';
import { participantOf } from '../access.js';
import { Forbidden, InvalidInput, Unavailable } from '../../core/errors.js';
import { isUuid, parseRecordId, type RecordId } from '../../core/ids.js';
import type { Page, RecordIndex } from '../../store/identity.js';
import type { ParticipantIndex } from '../access.js';
import { silentLogger, type Logger } from '../log.js';
import { RecordStore } from '../../store/records.js';
import { SerialRuns } from '../serialRuns.js';

/** A record's head and the participant ids of its threads there; null for a record that is not (or no longer) here. */
export type ParticipantsOf = (record: RecordId) => Promise<{ head: string; participants: Iterable<string> } | null>;

/** Participants as the rights see them: the ledgers on `main`, through the server's participant index. */
export function participantsFromRecords(records: RecordStore, index: ParticipantIndex): ParticipantsOf {
  // Reads only, so without the first use's crash clean-up (which takes the record lock): an index
  // update never writes into a record, nor waits for a writer.
  const reader = new RecordStore(records.root);
  return async (id) => {
    const repo = await reader.open(id);
    if (!repo) return null;
    for (;;) {
      const head = await repo.head();
      if (!head) return null;
      const participants = await index.participants(id, repo);
      if ((await repo.head()) === head) return { head, participants }; // else main moved meanwhile: read again
    }
  };
}

/** What a rebuild did. */
export interface RebuildOutcome {
  checked: number;
  updated: number;
  forgotten: number;
}

/** Record ids in order, paged (server/records.ts RecordStore.list). */
export type ListRecords = (after: string | undefined, limit: number) => Promise<{ records: RecordId[]; next?: string }>;

/** Maintains the index from record moves, and rebuilds it. */
export class RecordIndexer {
  readonly #runs = new SerialRuns<RecordId>((id) =>
    this.#update(id).then(
      () => undefined,
      (e: unknown) => this.log('error', 'record-index-failed', { record: id, error: e }),
    ),
  );

  constructor(
    private readonly index: RecordIndex,
    private readonly participantsOf: ParticipantsOf,
    private readonly log: Logger = silentLogger,
  ) {}

  /** `main` of a record moved: index it (in the background; a `mainMoved` hook). */
  moved(id: RecordId): void {
    this.#runs.request(id);
  }

  /** Resolves when no update is running (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#runs.idle();
  }

  /** Bring one record's entry to its current head; true when something was written. */
  async #update(id: RecordId): Promise<boolean> {
    const now = await this.participantsOf(id);
    if (!now) {
      if ((await this.index.indexedHead(id)) === null) return false;
      await this.index.forget(id);
      return true;
    }
    if ((await this.index.indexedHead(id)) === now.head) return false;
    await this.index.recordMoved(id, now.head, now.participants);
    return true;
  }

  /**
   * Compare every record with the index and update what differs (only records whose head moved
   * are read again), then forget indexed records that are gone; marks the index complete.
   */
  async rebuild(list: ListRecords, pageSize = 500): Promise<RebuildOutcome> {
    const out: RebuildOutcome = { checked: 0, updated: 0, forgotten: 0 };
    let after: string | undefined;
    do {
      const page = await list(after, pageSize);
      for (const id of page.records) {
        out.checked++;
        if (await this.#update(id)) out.updated++;
      }
      after = page.next;
    } while (after !== undefined);
    for (let done = false, from: string | undefined; !done;) {
      const rows = await this.index.indexed(from, pageSize);
      for (const { record } of rows) {
        // A row that names no record id names no record here: forgotten like a record gone.
        const id = parseRecordId(record);
        if (id === null) this.log('warn', 'record-index-bad-row', { record });
        if (id === null || !(await this.participantsOf(id))) {
          await this.index.forget(record);
          out.forgotten++;
        }
      }
      done = rows.length < pageSize;
      from = rows.at(-1)?.record;
    }
    await this.index.markComplete();
    this.log('info', 'record-index-rebuilt', { ...out });
    return out;
  }
}

/**
 * `GET /api/records?after=&limit=` for a participant principal: the records it takes part in,
 * paged, from the index. 503 until a lost index has been rebuilt once (a partial answer would
 * look complete).
 */
export async function myRecords(
  index: RecordIndex,
  p: Principal,
  after: string | undefined,
  limit: string | undefined,
): Promise<{ records: string[]; next?: string }> {
  const self = rightsOf(p).listRecords === 'own' ? participantOf(p) : undefined;
  if (!self) throw new Forbidden('only a participant principal has records of its own');
  if (after !== undefined && !isUuid(after)) throw new InvalidInput('expected after to be a record id');
  const n = limit === undefined ? 100 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidInput('expected limit between 1 and 1000');
  if (!(await index.complete())) throw new Unavailable('the index of records is being rebuilt; try again in a moment');
  const page: Page<string> = await index.recordsOf(self.participantId, after, n);
  return page.next === undefined ? { records: page.items } : { records: page.items, next: page.next };
}
