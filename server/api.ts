// The JSON API of SPEC 9: records (create, list, summary) and principals (create, list, delete).
// Server-side writes go through the same service, writer and rules as every other write.

import type { IncomingMessage } from 'node:http';
import { Forbidden, InvalidInput, NotFound, RecordNotFound, RuleViolation, ThreadNotFound } from '../core/errors.js';
import { isRecordId, isUuid, type RecordId } from '../core/ids.js';
import type { Oid } from '../core/objects.js';
import type { Principal } from '../core/principal.js';
import { rightsOf } from '../core/rights.js';
import { commitTimeFinding } from '../core/rules/commitTime.js';
import { STATUS_FILE } from '../core/layout.js';
import { CoordinationService } from '../service/CoordinationService.js';
import { checkParticipants } from '../service/content.js';
import { createRecord } from '../service/initialise.js';
import { allow, held, mayAccess, participantOf, sharedRecords } from './access.js';
import type { ServerContext } from './context.js';
import { readJson } from './http.js';
import type { SignedIn } from './identity/credentials.js';
import { createToken, listTokens, revokeToken } from '../store/tokenOps.js';
import { myRecords } from './identity/recordIndexer.js';
import { checkPrincipalInput, newPrincipal, newToken } from '../store/principals.js';
import type { StoredPrincipal } from '../store/identity.js';
import type { ReadResult, ReadTask } from './readTasks.js';
import { unsignedWrite } from './signedPolicy.js';
import { recordBodySchema, validateRecordBody, type RecordBody, type ThreadInRecordBody } from './bodies/recordBody.js';
import { fieldIn, firstFault } from '../core/checkBody.js';
import { sentence } from '../core/refusal.js';

/** A JSON answer: status and body. */
export interface Answer {
  status: number;
  body: unknown;
}

/** The commit author of a server-side write made for a principal. */
export function serverAuthor(p: Principal): { name: string; email: string } {
  return { name: participantOf(p)?.displayName ?? p.name, email: `${p.name}@ccr.invalid` };
}

/** The first message's text of a new record's thread, when it has one. */
function firstMessageOf(thread: ThreadInRecordBody | undefined): string | undefined {
  if (!thread || typeof thread !== 'object' || Array.isArray(thread)) return undefined;
  const message = thread.message;
  return message && typeof message === 'object' && !Array.isArray(message) ? message.body : undefined;
}

/** POST /api/records */
export async function createRecordRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  p: Principal,
): Promise<Answer & { record: RecordId }> {
  allow(p, (r) => r.createRecords, 'create records');
  return createRecordFrom(ctx, p, await readJson(req, ctx.options.maxRequestBytes));
}

/** POST /api/records with its JSON body already read (an Idempotency-Key needs it first). */
export async function createRecordFrom(
  ctx: ServerContext,
  p: Principal,
  json: unknown,
): Promise<Answer & { record: RecordId }> {
  allow(p, (r) => r.createRecords, 'create records');
  // The shape is the schema's; a fault is refused where the old checks found it, among the checks
  // that stay in code (rights, participants, the author, the signing policy, the clock).
  const valid = validateRecordBody(json);
  const fault = valid ? undefined : firstFault(recordBodySchema, validateRecordBody.errors);
  const refuseUpTo = (rank: number): void => {
    if (fault && fault.rank <= rank) throw new InvalidInput(sentence(fault));
  };
  refuseUpTo(0);
  const coordinationId = fieldIn(json, 'coordination_id');
  if (coordinationId !== undefined && !rightsOf(p).chooseRecordId)
    throw new Forbidden('only admin and site principals choose a record id');
  refuseUpTo(1);
  const shared = sharedRecords(p);
  if (shared && !(typeof coordinationId === 'string' && shared.has(coordinationId))) {
    throw new Forbidden(
      `site principal ${p.name} creates only records shared with its site (coordination_id one of them)`,
    );
  }
  const thread = fieldIn(json, 'thread');
  const participants = thread ? checkParticipants(fieldIn(thread, 'participants')) : undefined;
  const self = participantOf(p);
  if (rightsOf(p).read === 'as-participant' && !participants?.some((x) => x.participant_id === self?.participantId)) {
    throw new Forbidden('a participant creating a record must include a thread in which they take part');
  }
  const message = thread ? fieldIn(thread, 'message') : undefined;
  // A first message is the creator's writing: under the policy it needs its own signature (see serverWrite).
  if (message !== undefined && ctx.options.requireSignedCommits === true) throw unsignedWrite(p);
  const writer =
    message === undefined ? undefined : participants?.find((x) => x.participant_id === fieldIn(message, 'author_id'));
  if (message !== undefined && !writer)
    throw new InvalidInput('expected thread.message.author_id to be one of the thread participants');
  refuseUpTo(2);
  const rootGiven = fieldIn(json, 'root') !== undefined;
  if (rootGiven && (coordinationId === undefined || thread)) {
    throw new InvalidInput("root goes with coordination_id and without a thread (a peer's record re-created here)");
  }
  refuseUpTo(Infinity);
  if (!valid) throw new InvalidInput('expected a JSON object');
  // A JSON array is a body with no fields, as it always was.
  const body: Exclude<RecordBody, unknown[]> = Array.isArray(json) ? {} : json;
  const text = firstMessageOf(body.thread);
  const first =
    writer && text !== undefined
      ? { author: { id: writer.participant_id, name: writer.display_name }, body: text }
      : undefined;
  const root = body.root;
  if (root !== undefined) {
    // The clock rule of SPEC 8 holds for a re-created first commit as for any pushed one, and
    // says so with the same rule id and reason.
    const late = commitTimeFinding(root.time, Date.now());
    if (late) throw new RuleViolation([late]);
  }
  const author = root ? { name: root.name, email: root.email } : serverAuthor(p);
  // Counted before the record is made (two creations at once cannot both slip under the limit), given back if it is not.
  const refund = ctx.quotas.take(p, {
    records: 1,
    threads: thread ? 1 : 0,
    bytes: Buffer.byteLength(JSON.stringify(json)),
  });
  const created = await createRecord(
    {
      path: (id) => ctx.records.path(id),
      staging: ctx.records.root,
      bare: true,
      author,
      principal: p,
      bindings: ctx.identity.bindingsNow,
      signer: ctx.siteKey.signer,
      careLocation: body.care_location as string,
      clinicalId: body.clinical_id as string,
      ...(body.coordination_id !== undefined ? { id: body.coordination_id } : {}),
      ...(root ? { clock: () => root.time * 1000, ...(root.commit ? { expectCommit: root.commit } : {}) } : {}),
      // A peer's first commit keeps the peer's signature: it is part of the bytes that make its id.
      ...(root && typeof root.signature === 'string' ? { rootSignature: root.signature } : {}),
    },
    participants
      ? (staging) =>
          new CoordinationService(staging).createThread(author, body.care_location as string, participants, first)
      : undefined,
  ).catch((e: unknown) => {
    refund();
    throw e;
  });
  ctx.metrics.records.inc();
  const id = created.handle.id;
  for (const fn of ctx.mainMoved) fn(id);
  return {
    status: 201,
    record: id,
    body: {
      coordination_id: id,
      clone_url: `${ctx.baseUrl}/coordination/${id}.git`,
      ...(created.then ? { thread_id: created.then } : {}),
    },
  };
}

/** GET /api/records?after=&limit= */
export async function listRecordsRoute(
  ctx: ServerContext,
  p: Principal,
  after: string | undefined,
  limit: string | undefined,
): Promise<Answer> {
  // A participant lists the records it takes part in ("my records", from the index).
  if (rightsOf(p).listRecords === 'own')
    return { status: 200, body: await myRecords(ctx.identity.records, p, after, limit) };
  allow(p, (r) => r.listRecords === 'all', 'list records');
  if (after !== undefined && !isUuid(after)) throw new InvalidInput('expected after to be a record id');
  const n = limit === undefined ? 100 : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidInput('expected limit between 1 and 1000');
  const shared = sharedRecords(p);
  if (shared) return { status: 200, body: await sharedPage(ctx, shared, after, n) };
  const page = await ctx.records.list(after, n);
  return { status: 200, body: page };
}

/** A page of the records shared with a bound site principal that exist here, in id order. */
async function sharedPage(
  ctx: ServerContext,
  shared: ReadonlySet<string>,
  after: string | undefined,
  limit: number,
): Promise<{ records: RecordId[]; next?: RecordId }> {
  const records: RecordId[] = [];
  for (const id of [...shared].sort()) {
    if (after !== undefined && id <= after) continue;
    // A shared id that is not a record id names no record here, as open() would find.
    if (!isRecordId(id) || !(await ctx.records.open(id))) continue;
    const last = records.at(-1);
    if (records.length === limit && last !== undefined) return { records, next: last };
    records.push(id);
  }
  return { records };
}

/**
 * A record as a principal reads it: its head and a reader of its objects, on reader threads. A
 * participant reads its view (SPEC 12), what its clone holds and no more; others read `main`.
 * No right and no record are the same NotFound.
 */
export async function readAs(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
): Promise<{
  head: Oid;
  read: <K extends ReadTask>(task: K, oid: Oid) => Promise<ReadResult<K>>;
}> {
  const repo = await ctx.records.open(id, (r) => mayAccess(p, 'read', id, r, ctx.participants, held(ctx)));
  if (!repo) throw new NotFound(`no record ${id}`);
  const view = await ctx.views.of(p, id);
  const head = view ? view.tip : await repo.head();
  if (!head) throw new RecordNotFound(`record ${id} has no commits`);
  const gitdir = view?.dir ?? repo.gitdir;
  return { head, read: (task, oid) => ctx.reader.run(task, gitdir, oid, p.name) };
}

/**
 * GET /api/records/<id>: the status and a summary of every thread. Files are read and parsed on
 * reader threads and the results cached by blob id, so a large record costs the event loop nothing.
 */
export async function recordSummaryRoute(ctx: ServerContext, p: Principal, id: RecordId): Promise<Answer> {
  const { head, read } = await readAs(ctx, p, id);
  const tree = await read('record-tree', head);
  if (!tree?.status) throw new RecordNotFound(`record ${id} has no readable ${STATUS_FILE}`);
  const threads = [];
  for (const t of tree.threads) {
    const [ledger, count] = await Promise.all([
      t.ledger ? read('ledger', t.ledger) : null,
      t.messages ? read('message-count', t.messages) : null,
    ]);
    if (!ledger || count === null) throw new ThreadNotFound(`no thread ${t.id} in record ${id}`, { threadId: t.id });
    threads.push({
      thread_id: t.id,
      status: ledger.status,
      created_at: ledger.created_at,
      last_updated_at: ledger.last_updated_at,
      participants: ledger.participants,
      visibility: ledger.visibility,
      message_count: count,
    });
  }
  return { status: 200, body: { coordination_id: id, head, status: tree.status, threads } };
}

/** POST /api/principals: the new principal and its first token, shown once. */
export async function createPrincipalRoute(ctx: ServerContext, req: IncomingMessage, p: Principal): Promise<Answer> {
  allow(p, (r) => r.managePrincipals, 'manage principals');
  const input = checkPrincipalInput(await readJson(req, ctx.options.maxRequestBytes));
  const token = newToken();
  await ctx.identity.store
    .createPrincipal(newPrincipal(input), { hash: ctx.identity.hasher.hash(token) }, { actor: p.name })
    .finally(() => ctx.identity.audited());
  return { status: 201, body: { name: input.name, kind: input.kind, token } };
}

/** Every principal, without secrets, in name order (read page by page from the store). */
export async function allPrincipals(ctx: ServerContext): Promise<StoredPrincipal[]> {
  const all: StoredPrincipal[] = [];
  let after: string | undefined;
  do {
    const page = await ctx.identity.store.principals(after, 1000);
    all.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  return all;
}

/** GET /api/principals */
export async function listPrincipalsRoute(ctx: ServerContext, p: Principal): Promise<Answer> {
  allow(p, (r) => r.managePrincipals, 'manage principals');
  return { status: 200, body: { principals: await allPrincipals(ctx) } };
}

/** DELETE /api/principals/<name>; the last admin cannot be deleted (the store refuses it). */
export async function deletePrincipalRoute(ctx: ServerContext, p: Principal, name: string): Promise<Answer> {
  allow(p, (r) => r.managePrincipals, 'manage principals');
  await ctx.identity.store.removePrincipal(name, { actor: p.name }).finally(() => ctx.identity.audited());
  return { status: 204, body: null };
}

/**
 * POST /api/principals/<name>/tokens: admin, or the principal itself; 201 `{id, token, expires_at}`.
 * A token made for oneself ends no later than the credential that signed the request in.
 */
export async function createTokenRoute(
  ctx: ServerContext,
  req: IncomingMessage,
  by: SignedIn,
  name: string,
): Promise<Answer> {
  const body = await readJson(req, ctx.options.maxRequestBytes);
  const created = await createToken(
    ctx.identity.store,
    ctx.identity.hasher,
    by.principal,
    name,
    body,
    Date.now(),
    by.expiresAtMs,
  ).finally(() => ctx.identity.audited());
  return { status: 201, body: created };
}

/** GET /api/principals/<name>/tokens: no secrets. */
export async function listTokensRoute(ctx: ServerContext, p: Principal, name: string): Promise<Answer> {
  return { status: 200, body: await listTokens(ctx.identity.store, p, name) };
}

/** DELETE /api/principals/<name>/tokens/<id>: the token stops working at once. */
export async function revokeTokenRoute(ctx: ServerContext, p: Principal, name: string, id: string): Promise<Answer> {
  await revokeToken(ctx.identity.store, p, name, id).finally(() => ctx.identity.audited());
  return { status: 204, body: null };
}
