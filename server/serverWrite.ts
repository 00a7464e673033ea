// The one door of the server's own writes to an existing record (issue 16): the JSON API's thread,
// message and ledger changes all come here. Each is exactly one commit made by the service (the
// same library as `ccr`), judged by the same rules as a push by that principal (who-rules included:
// the principal and the server's participant bindings are in the rule context), written by
// compare-and-swap on `main` under the record lock (git/writer.ts), and counted against the
// principal's quota. A refusal is a RuleViolation naming the rule id a push would have met.

import { AuthorInvalid, Forbidden, NotFound, RuleViolation, ThreadClosed } from '../core/errors.js';
import { refusedWriteFindings } from '../core/rules/writeRules.js';
import type { RecordId, ThreadId } from '../core/ids.js';
import type { Ledger, Participant } from '../core/ledger.js';
import type { Oid } from '../core/objects.js';
import type { Principal } from '../core/principal.js';
import { rightsOf } from '../core/rights.js';
import { parseCommitMessage } from '../core/commitMessage.js';
import { readCommit } from '../core/source.js';
import type { CommitSigner } from '../git/build.js';
import type { Repository } from '../git/repository.js';
import type { Written } from '../git/writer.js';
import type { Change } from '../git/writer.js';
import { CoordinationService } from '../service/CoordinationService.js';
import type { MessageAuthor } from '../service/content.js';
import { RecordHandle, type CommitAuthor } from '../service/record.js';
import type { LedgerUpdate } from '../service/updateThreadLedger.js';
import { mayAccess, participantOf } from './access.js';
import { serverAuthor } from './api.js';
import type { ServerContext } from './context.js';
import { unsignedWrite } from './signedPolicy.js';

/** A change to a record as the API asks for it; `author` is the participant it is written as. */
export type ServerChange =
  | { kind: 'create-thread'; participants: Participant[]; first?: { author: MessageAuthor; body: string } }
  | { kind: 'add-message'; thread: ThreadId; author: MessageAuthor; body: string; corrects?: string }
  | { kind: 'update-thread'; thread: ThreadId; by: MessageAuthor; update: Omit<LedgerUpdate, 'by'> };

/** What a write gives: the commit on `main` and the new thread or message id. */
export interface ServerWritten {
  commit: Oid;
  result: string;
}

/** A record handle that remembers the commit its one write made (the service gives only ids). */
class ServerHandle extends RecordHandle {
  written: Oid | null = null;
  constructor(repo: Repository, id: RecordId, p: Principal, ctx: ServerContext, signer: CommitSigner) {
    super(repo, id, Date.now, p, ctx.identity.bindingsNow, signer);
  }

  override async write<T>(
    author: CommitAuthor,
    prepare: (head: Oid | null) => Promise<Change<T>>,
  ): Promise<Written<T>> {
    const w = await super.write(author, prepare);
    this.written = w.commit;
    return w;
  }
}

/** The care location of the record's last commit: where an API write names none, it is written there. */
async function lastCareLocation(repo: Repository): Promise<string> {
  const head = await repo.head();
  const commit = head ? await readCommit(repo.source, head) : null;
  const parsed = commit ? parseCommitMessage(commit.message) : null;
  return parsed?.ok ? parsed.value.careLocation : 'CCR server';
}

/** The rule a push would have met for what the service refused before building a commit. */
function asRule(change: ServerChange, e: unknown): unknown {
  if (e instanceof ThreadClosed)
    return new RuleViolation(refusedWriteFindings({ refused: 'thread-closed', reason: e.message }));
  if (e instanceof AuthorInvalid) {
    const what =
      change.kind === 'update-thread'
        ? 'ledger'
        : change.kind === 'add-message' && change.corrects !== undefined
          ? 'correction'
          : 'message';
    return new RuleViolation(refusedWriteFindings({ refused: 'author', change: what, reason: e.message }));
  }
  return e;
}

/**
 * Write one change to record `id` as principal `p`: one commit on `main`, or nothing. The record
 * must exist and the principal may write it (else the NotFound of a missing record); an auditor
 * is refused with `ccr/who-write` as its push would be.
 */
export async function serverWrite(
  ctx: ServerContext,
  p: Principal,
  id: RecordId,
  change: ServerChange,
  options: { careLocation?: string } = {},
): Promise<ServerWritten> {
  if (!rightsOf(p).write) throw new RuleViolation(refusedWriteFindings({ refused: 'auditor' }));
  if (ctx.options.requireSignedCommits === true) throw unsignedWrite(p);
  const repo = await ctx.records.open(id, (r) => mayAccess(p, 'write', id, r, ctx.participants));
  if (!repo) throw new NotFound(`no record ${id}`);
  // Signed with the site key, as every commit the server makes itself (issue 14).
  const handle = new ServerHandle(repo, id, p, ctx, ctx.siteKey.signer);
  const service = new CoordinationService(handle);
  const place = options.careLocation ?? (await lastCareLocation(repo));
  const author = serverAuthor(p);
  // What the principal sends is what it is charged: a ledger change too (each is a commit).
  const bytes = Buffer.byteLength(change.kind === 'add-message' ? change.body : JSON.stringify(change));
  const refund = ctx.quotas.take(p, { threads: change.kind === 'create-thread' ? 1 : 0, bytes });
  let result: string;
  try {
    switch (change.kind) {
      case 'create-thread':
        result = await service.createThread(author, place, change.participants, change.first);
        break;
      case 'add-message':
        result = await service.addMessage(author, place, change.thread, {
          author: change.author,
          body: change.body,
          ...(change.corrects !== undefined ? { corrects: change.corrects } : {}),
        });
        break;
      case 'update-thread':
        await service.updateThreadLedger(author, place, change.thread, { ...change.update, by: change.by });
        result = change.thread;
        break;
    }
  } catch (e) {
    refund();
    throw asRule(change, e);
  }
  for (const fn of ctx.mainMoved) fn(id);
  return { commit: handle.written!, result };
}

/**
 * The participant a principal writes as in a thread: a participant principal is itself (an
 * `author_id` naming anyone else is 403); an integration names one (`author_id`), any participant
 * of the thread (SPEC 9); others post no messages. The name is the ledger's, so a forged id
 * meets `ccr/message-author` in the service, as a push would.
 */
export function writerOf(p: Principal, authorId: unknown, ledger: Pick<Ledger, 'participants'> | null): MessageAuthor {
  const nameIn = (pid: string) => ledger?.participants.find((x) => x.participant_id === pid)?.display_name;
  const r = rightsOf(p);
  const self = participantOf(p);
  if (r.postMessages && !r.postForOthers && self) {
    if (authorId !== undefined && authorId !== self.participantId) {
      throw new Forbidden('author_id is for integration principals; a participant writes as itself');
    }
    return { id: self.participantId, name: nameIn(self.participantId) ?? self.displayName };
  }
  if (r.postMessages && r.postForOthers) {
    if (typeof authorId !== 'string') throw new RuleViolation(refusedWriteFindings({ refused: 'no-author-id' }));
    return { id: authorId, name: nameIn(authorId) ?? '' };
  }
  if (!r.write) throw new RuleViolation(refusedWriteFindings({ refused: 'auditor' }));
  throw new Forbidden(
    `${p.kind} principals write no messages: a message is a participant's, written by itself or by an integration for it`,
  );
}
