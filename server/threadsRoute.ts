// Threads and messages over JSON (issue 16): reads as the principal reads the record (a
// participant through its view, SPEC 12: a thread outside it is 404 exactly like a missing one),
// writes through the one door of server-side writes (server/serverWrite.ts).

import { checkBody, fieldIn, firstFault } from '../core/checkBody.js';
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
import { threadBodySchema, validateThreadBody } from './bodies/threadBody.js';
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
    message_id: m.id,
    type: m.type,
    timestamp: m.timestamp,
    author_id: m.authorId,
    author_name: m.author,
    body: m.body,
    ...(m.corrects !== undefined ? { corrects: m.corrects } : {}),
  };
}

/** GET /api/records/<id>/threads?status=: the threads the principal may read, oldest first. */
export async function listThreadsRoute(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  status: string | undefined,
): Promise<Answer> {
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
      thread_id: t.id,
      status: ledger.status,
      created_at: ledger.created_at,
      last_updated_at: ledger.last_updated_at,
      participants: ledger.participants,
      visibility: ledger.visibility,
      policies: ledger.policies,
      message_count: count,
    });
  }
  return { status: 200, body: { coordination_id: id, head, threads } };
}

/** The ledger and messages of a thread as the principal reads the record, else ThreadNotFound. */
async function readThreadAs(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  thread: ThreadId,
): Promise<{ head: string; ledger: Ledger; messages: Message[] }> {
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
  return {
    status: 200,
    body: { coordination_id: id, thread_id: thread, head, ledger, messages: messages.map(apiMessage) },
  };
}

/** POST /api/records/<id>/threads `{participants, message?: {body, author_id?}, care_location?}` → 201 `{thread_id, commit}`. */
export async function createThreadRoute(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  body: unknown,
): Promise<Answer> {
  if (!validateThreadBody(body)) {
    const first = firstFault(threadBodySchema, validateThreadBody.errors);
    // The checks in code run where they always did: the participants (rank 1), then the author (rank 4).
    const participants = first.rank > 1 ? checkParticipants(fieldIn(body, 'participants')) : [];
    const message = first.rank > 4 ? fieldIn(body, 'message') : undefined;
    if (message !== undefined) writerOf(p, fieldIn(message, 'author_id'), { participants });
    throw new InvalidInput(sentence(first));
  }
  const participants: Participant[] = checkParticipants(body.participants);
  const first = body.message
    ? { author: writerOf(p, body.message.author_id, { participants }), body: body.message.body }
    : undefined;
  const careLocation = body.care_location;
  const w = await serverWrite(
    ctx,
    p,
    id,
    { kind: 'create-thread', participants, ...(first ? { first } : {}) },
    careLocation !== undefined ? { careLocation } : {},
  );
  return { status: 201, body: { thread_id: w.result, commit: w.commit } };
}

/** POST /api/records/<id>/threads/<thread>/messages `{body, corrects?, author_id?, care_location?}` → 201 `{message_id, commit}`. */
export async function postMessageRoute(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  thread: ThreadId,
  body: unknown,
): Promise<Answer> {
  const {
    body: text,
    corrects,
    author_id: authorId,
    care_location: careLocation,
  } = checkBody(validateMessageBody, messageBodySchema, body);
  // Only a thread the principal may read can be written to; one outside its view is not there.
  const { ledger } = await readThreadAs(ctx, p, id, thread);
  const author = writerOf(p, authorId, ledger);
  const w = await serverWrite(
    ctx,
    p,
    id,
    {
      kind: 'add-message',
      thread,
      author,
      body: text,
      ...(corrects !== undefined ? { corrects } : {}),
    },
    careLocation !== undefined ? { careLocation } : {},
  );
  return { status: 201, body: { message_id: w.result, commit: w.commit } };
}

/**
 * PATCH /api/records/<id>/threads/<thread> `{participants?: {add?, remove?}, status?, visibility?,
 * policies?, author_id?, care_location?}` → 200 `{thread_id, commit}`; the system messages are added.
 */
export async function updateThreadRoute(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  thread: ThreadId,
  body: unknown,
): Promise<Answer> {
  if (!validateThreadUpdateBody(body)) {
    const first = firstFault(threadUpdateBodySchema, validateThreadUpdateBody.errors);
    // participants.add is the service's to check, where it always was: after the shape of participants.
    const add = first.rank > 2 ? fieldIn(fieldIn(body, 'participants'), 'add') : undefined;
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
  const w = await serverWrite(
    ctx,
    p,
    id,
    { kind: 'update-thread', thread, by, update },
    careLocation !== undefined ? { careLocation } : {},
  );
  return { status: 200, body: { thread_id: thread, commit: w.commit } };
}
