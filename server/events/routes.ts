// The JSON endpoints of the events feed and webhooks, and the server's events part: opened at
// start, fed by every move of `main`, caught up with the records, closed at shutdown.

import type { IncomingMessage } from 'node:http';
import { Forbidden } from '../../core/errors.js';
import type { KnownEvents } from '../../core/events.js';
import type { RecordId } from '../../core/ids.js';
import type { Principal } from '../../core/principal.js';
import { rights, rightsOf } from '../../core/rights.js';
import { openEventsDb } from '../../store/sqlite/eventsDb.js';
import type { Answer } from '../api.js';
import { readJson } from '../http.js';
import type { Logger } from '../log.js';
import type { RecordStore } from '../../store/records.js';
import { EventFeed, pageParams } from './feed.js';
import { deliveryDefaults, Webhooks, type DeliveryOptions } from './webhooks.js';

/** The events part of a running server. */
export interface ServerEvents {
  feed: EventFeed;
  webhooks: Webhooks;
  /** `main` of a record moved (a `mainMoved` hook; the sync scheduler's callback too), `known` as EventFeed.moved takes it. */
  moved(id: RecordId, known?: KnownEvents): void;
  close(): Promise<void>;
}

/**
 * Open <data>/events.sqlite, start deliveries, and catch up with the records in the background
 * (a first opening takes the heads as they are, without events).
 */
export function openEvents(
  data: string,
  records: RecordStore,
  log: Logger,
  delivery: Partial<DeliveryOptions>,
  ownerMay: (owner: string, since: string) => Promise<boolean>,
): ServerEvents {
  const { db, created } = openEventsDb(data);
  const feed = new EventFeed(db, records, log);
  const webhooks = new Webhooks(db, feed, { ...deliveryDefaults, ...delivery }, ownerMay, log);
  webhooks.start();
  let closed = false;
  const caughtUp = feed
    .catchUp((after, limit) => records.list(after, limit), created)
    .catch((e: unknown) => log('error', 'events-catch-up-failed', { error: e }));
  return {
    feed,
    webhooks,
    moved: (id, known) => {
      if (!closed) feed.moved(id, known);
    },
    async close() {
      closed = true;
      feed.stop();
      await webhooks.stop();
      await caughtUp;
      await feed.idle();
      db.close();
    },
  };
}

/** Whether a principal still may own hooks: it exists and is of a kind that reads every record. */
export function hookOwnerCheck(
  principal: (name: string) => Promise<{ kind: Principal['kind']; created_at: string } | null>,
): (owner: string, since: string) => Promise<boolean> {
  return async (owner, since) => {
    const p = await principal(owner);
    // A principal created after the hook under its owner's name is someone else: the owner was removed.
    return p !== null && rights[p.kind].manageWebhooks && Date.parse(p.created_at) <= Date.parse(since);
  };
}

/** GET /api/events?after=&limit= */
export function eventsRoute(
  events: ServerEvents,
  p: Principal,
  after: string | undefined,
  limit: string | undefined,
): Answer {
  const q = pageParams(after, limit);
  return { status: 200, body: events.feed.page(p, q.after, q.limit) };
}

/** POST /api/webhooks */
export async function createWebhookRoute(
  events: ServerEvents,
  req: IncomingMessage,
  p: Principal,
  maxBytes: number,
): Promise<Answer> {
  // Rights first: a refused kind learns nothing from how its body is judged.
  if (!rightsOf(p).manageWebhooks) throw new Forbidden(`${p.kind} principals may not register webhooks`);
  return { status: 201, body: events.webhooks.register(p, await readJson(req, maxBytes)) };
}
