// Change a thread's ledger: participants, status, visibility, policies. While the thread is open,
// each change is also told in the thread as a `system` message by the participant who made it.

import { AuthorInvalid, InvalidInput, ThreadClosed } from '../core/errors.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { governanceChanged, renderLedger, type Ledger, type Policies, type Visibility } from '../core/ledger.js';
import { appendMessages, type Message } from '../core/messages/grammar.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import { describeMoves, isOneOf, mayMove, sensitivities, threadStatuses } from '../core/vocabulary.js';
import {
  authorParticipant,
  checkParticipants,
  newMessage,
  type MessageAuthor,
  type ParticipantInput,
} from './content.js';
import { checkCareLocation } from './initialise.js';
import { entryTime, files, touched, type CommitAuthor, type RecordHandle } from './record.js';

/** A change to a thread's ledger, made by a participant (`by`). */
export interface LedgerUpdate {
  by: MessageAuthor;
  /** Checked and parsed by the service (checkParticipants). */
  addParticipants?: ParticipantInput[];
  /** Participant ids to remove. */
  removeParticipants?: string[];
  /** Checked by the service: a status it may move to. */
  status?: string;
  /** Checked by the service: a sensitivity of the vocabulary, a boolean. */
  visibility?: { sensitivity?: string; restricted?: boolean };
  policies?: Partial<Policies>;
}

/** The new ledger and one sentence per change, for the system messages. */
export function applyLedgerUpdate(old: Ledger, u: LedgerUpdate): { ledger: Ledger; events: string[] } {
  const events: string[] = [];
  let participants = [...old.participants];
  for (const p of u.addParticipants ? checkParticipants(u.addParticipants) : []) {
    if (participants.some((x) => x.participant_id === p.participant_id))
      throw new InvalidInput(`${p.participant_id} is already a participant`);
    participants.push(p);
    events.push(`Participant added: ${p.display_name} (${p.role}).`);
  }
  for (const id of u.removeParticipants ?? []) {
    const p = participants.find((x) => x.participant_id === id);
    if (!p) throw new InvalidInput(`${id} is not a participant`);
    participants = participants.filter((x) => x !== p);
    events.push(`Participant removed: ${p.display_name} (${p.role}).`);
  }
  if (participants.length === 0) throw new InvalidInput('a thread keeps at least one participant');
  let status = old.status;
  if (u.status !== undefined && u.status !== old.status) {
    if (!isOneOf(threadStatuses, u.status) || !mayMove(old.status, u.status)) {
      throw new InvalidInput(`a thread's status moves only ${describeMoves()}, not ${old.status}→${u.status}`);
    }
    status = u.status;
    events.push(`Thread status changed from ${old.status} to ${status}.`);
  }
  const asked = { ...old.visibility, ...u.visibility };
  if (!isOneOf(sensitivities, asked.sensitivity) || typeof asked.restricted !== 'boolean')
    throw new InvalidInput(
      'expected visibility { sensitivity: standard|confidential|restricted, restricted: boolean }',
    );
  const visibility: Visibility = { sensitivity: asked.sensitivity, restricted: asked.restricted };
  for (const key of ['sensitivity', 'restricted'] as const) {
    if (visibility[key] !== old.visibility[key])
      events.push(`Visibility changed: ${key} ${old.visibility[key]} → ${visibility[key]}.`);
  }
  const policies = { ...old.policies, ...u.policies };
  for (const key of ['allow_patient_participation', 'allow_external_organisations'] as const) {
    if (typeof policies[key] !== 'boolean') throw new InvalidInput(`expected policies.${key} to be true or false`);
    if (policies[key] !== old.policies[key])
      events.push(`Policy changed: ${key} ${old.policies[key]} → ${policies[key]}.`);
  }
  return { ledger: { ...old, participants, status, visibility, policies }, events };
}

/** Change a thread's ledger in one commit. */
export async function updateThreadLedger(
  record: RecordHandle,
  author: CommitAuthor,
  careLocation: string,
  threadId: string,
  update: LedgerUpdate,
): Promise<void> {
  checkCareLocation(careLocation);
  if (!update || typeof update !== 'object') throw new InvalidInput('expected a ledger update');
  await record.write(author, async (head) => {
    const at = head ?? (await record.head());
    const old = await record.ledger(at, threadId);
    if (old.status === 'archived')
      throw new ThreadClosed(`thread ${threadId} is archived and never changes again`, { threadId });
    const by = authorParticipant(old, update.by);
    if (by.role === 'patient' || by.role === 'patientassociate')
      throw new AuthorInvalid("patients and their associates do not change a thread's ledger");
    const { ledger, events } = applyLedgerUpdate(old, update);
    if (events.length === 0 || !governanceChanged(old, ledger)) throw new InvalidInput('the update changes nothing');
    if (old.status === 'closed' && (events.length !== 1 || ledger.status !== 'archived')) {
      throw new ThreadClosed(`thread ${threadId} is closed: it can only be archived`, { threadId });
    }
    const time = entryTime(record.now(), old);
    const next = touched(ledger, time);
    const fileMap: Record<string, string> = { [threadFilePath(threadId, LEDGER_FILE)]: renderLedger(next) };
    if (old.status === 'open') {
      const notes: Message[] = events.map((e) => newMessage(by, 'system', e, time));
      fileMap[threadFilePath(threadId, MESSAGES_FILE)] = appendMessages(await record.messagesText(at, threadId), notes);
    }
    return {
      files: files(fileMap),
      message: renderCommitMessage(subjects.updateLedger, careLocation),
      result: undefined,
    };
  });
}
