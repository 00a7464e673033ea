// Threads and messages over JSON (issue 16): reads as the principal reads the record (a
// participant through its view, SPEC 12: a thread outside it is 404 exactly like a missing one),
// writes through the one door of server-side writes (server/serverWrite.ts).

import { checkBody, firstFault } from '../core/checkBody.js';
import { InvalidInput, ThreadNotFound } from '../core/errors.js';
import type { RecordId, ThreadId } from '../core/ids.js';
import type { Ledger, Participant } from '../core/ledger.js';
import type { Message } from '../core/messages/grammar.js';
import type { Principal } from '../core/principal.js';
import { isOneOf, threadStatuses } from '../core/vocabulary.js';
import { checkParticipants } from '../service/content.js';
import type { LedgerUpdate } from '../service/updateThreadLedger.js';
import { readAs, type Answer } from './api.js';
import type { ServerContext } from './context.js';
import { serverWrite, writerOf } from './serverWrite.js';
import { messageBodySchema, validateMessageBody } from './bodies/messageBody.js';
import { threadUpdateBodySchema, validateThreadUpdateBody } from './bodies/threadUpdateBody.js';
import { sentence } from '../core/refusal.js';

/** A message as the API shows it. */
export interface ApiMessage {
  message_id: string;
  type: Message['type'];
  timestamp: string;
  author_id: string;
  author_name: string;
  body: string;
  corrects?: string;
}

/** A message of a messages.md as the API shows it. */
export function apiMessage(m: Message): ApiMessage {
  return {
    message_id: m.id, type: m.type, timestamp: m.timestamp, author_id: m.authorId, author_name: m.author, body: m.body,
    ...(m.corrects !== undefined ? { corrects: m.corrects } : {}),
  };
}

/** GET /api/records/<id>/threads?status=: the threads the principal may read, oldest first. */
export async function listThreadsRoute(ctx: ServerContext, p: Principal, id: RecordId, status: string | undefined): Promise<Answer> {
  const wanted = status === undefined ? undefined : status.split(',');
  if (wanted && !wanted.every((s) => isOneOf(threadStatuses, s))) {
    throw new InvalidInput(`expected status to be one or more of ${threadStatuses.join(', ')} (comma-separated)`);
  }
  const { head, read } = await readAs(ctx, p, id);
  const tree = await read('record-tree', head);
  const threads = [];
  for (const t of tree?.threads ?? []) {
    const [ledger, count] = await Promise.all([
      t.ledger ? read('ledger', t.ledger) : null,
      t.messages ? read('message-count', t.messages) : null,
    ]);
    if (!ledger || count === null) continue;
    if (wanted && !wanted.includes(ledger.status)) continue;
    threads.push({
      thread_id: t.id, status: ledger.status, created_at: ledger.created_at, last_updated_at: ledger.last_updated_at,
      participants: ledger.participants, visibility: ledger.visibility, policies: ledger.policies, message_count: count,
    });
  }
  return { status: 200, body: { coordination_id: id, head, threads } };
}

/** The ledger and messages of a thread as the principal reads the record, else ThreadNotFound. */
async function readThreadAs(ctx: ServerContext, p: Principal, id: RecordId, thread: ThreadId)
  : Promise<{ head: string; ledger: Ledger; messages: Message[] }> {
  const { head, read } = await readAs(ctx, p, id);
  const files = (await read('record-tree', head))?.threads.find((t) => t.id === thread);
  const ledger = files?.ledger ? await read('ledger', files.ledger) : null;
  const messages = files?.messages ? await read('messages', files.messages) : null;
  // A thread outside the reader's view answers exactly as one that is not there.
  if (!ledger || !messages) throw new ThreadNotFound(`no thread ${thread} in record ${id}`, { threadId: thread });
  return { head, ledger, messages };
}

/** GET /api/records/<id>/threads/<thread>: its ledger and its messages in file order. */
export async function threadRoute(ctx: ServerContext, p: Principal, id: RecordId, thread: ThreadId): Promise<Answer> {
  const { head, ledger, messages } = await readThreadAs(ctx, p, id, thread);
  return { status: 200, body: { coordination_id: id, thread_id: thread, head, ledger, messages: messages.map(apiMessage) } };
}

/** A JSON object with only the given fields, or InvalidInput naming what is wrong. */
function fields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInput('expected a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)).join(', ');
    throw new InvalidInput(`expected only ${allowed.join(', ')}; found ${named}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
  }
  return body as Record<string, unknown>;
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v !== undefined && typeof v !== 'string') throw new InvalidInput(`expected ${name} to be a string`);
  return v;
}

/** POST /api/records/<id>/threads `{participants, message?: {body, author_id?}, care_location?}` → 201 `{thread_id, commit}`. */
export async function createThreadRoute(ctx: ServerContext, p: Principal, id: RecordId, body: unknown): Promise<Answer> {
  const b = fields(body, ['participants', 'message', 'care_location']);
  const participants: Participant[] = checkParticipants(b['participants']);
  let first: { author: { id: string; name: string }; body: string } | undefined;
  if (b['message'] !== undefined) {
    const m = fields(b['message'], ['body', 'author_id']);
    if (typeof m['body'] !== 'string') throw new InvalidInput('expected message.body to be a string');
    first = { author: writerOf(p, m['author_id'], { participants }), body: m['body'] };
  }
  const careLocation = optionalString(b['care_location'], 'care_location');
  const w = await serverWrite(ctx, p, id, { kind: 'create-thread', participants, ...(first ? { first } : {}) },
    careLocation !== undefined ? { careLocation } : {});
  return { status: 201, body: { thread_id: w.result, commit: w.commit } };
}

/** POST /api/records/<id>/threads/<thread>/messages `{body, corrects?, author_id?, care_location?}` → 201 `{message_id, commit}`. */
export async function postMessageRoute(ctx: ServerContext, p: Principal, id: RecordId, thread: ThreadId, body: unknown)
  : Promise<Answer> {
  const { body: text, corrects, author_id: authorId, care_location: careLocation } = checkBody(validateMessageBody, messageBodySchema, body);
  // Only a thread the principal may read can be written to; one outside its view is not there.
  const { ledger } = await readThreadAs(ctx, p, id, thread);
  const author = writerOf(p, authorId, ledger);
  const w = await serverWrite(ctx, p, id, {
    kind: 'add-message', thread, author, body: text, ...(corrects !== undefined ? { corrects } : {}),
  }, careLocation !== undefined ? { careLocation } : {});
  return { status: 201, body: { message_id: w.result, commit: w.commit } };
}

/** participants.add of a body whose shape failed further on, if it has one. */
function addedIn(body: unknown): unknown {
  const participants: unknown = body && typeof body === 'object' && 'participants' in body ? body.participants : undefined;
  return participants && typeof participants === 'object' && 'add' in participants ? participants.add : undefined;
}

/**
 * PATCH /api/records/<id>/threads/<thread> `{participants?: {add?, remove?}, status?, visibility?,
 * policies?, author_id?, care_location?}` → 200 `{thread_id, commit}`; the system messages are added.
 */
export async function updateThreadRoute(ctx: ServerContext, p: Principal, id: RecordId, thread: ThreadId, body: unknown)
  : Promise<Answer> {
  if (!validateThreadUpdateBody(body)) {
    const first = firstFault(threadUpdateBodySchema, validateThreadUpdateBody.errors);
    // participants.add is the service's to check, where it always was: after the shape of participants.
    const add = first.rank > 2 ? addedIn(body) : undefined;
    if (add !== undefined) checkParticipants(add);
    throw new InvalidInput(sentence(first));
  }
  const { participants, status, visibility, policies, author_id: authorId, care_location: careLocation } = body;
  const update: Omit<LedgerUpdate, 'by'> = {
    ...(participants?.add !== undefined ? { addParticipants: checkParticipants(participants.add) } : {}),
    ...(participants?.remove !== undefined ? { removeParticipants: participants.remove } : {}),
    ...(status !== undefined ? { status } : {}),
    // The values are the service's to check, once merged with the ledger's (LedgerUpdate types them as checked).
    ...(visibility !== undefined ? { visibility: visibility as LedgerUpdate['visibility'] & object } : {}),
    ...(policies !== undefined ? { policies: policies as LedgerUpdate['policies'] & object } : {}),
  };
  const { ledger } = await readThreadAs(ctx, p, id, thread);
  const by = writerOf(p, authorId, ledger);
  const w = await serverWrite(ctx, p, id, { kind: 'update-thread', thread, by, update },
    careLocation !== undefined ? { careLocation } : {});
  return { status: 200, body: { thread_id: thread, commit: w.commit } };
}
