// The record every corpus case starts from, and the builders cases use to change it: a thread
// with the SPEC example's two messages (by Dr Jane Smith), Dr Tom Patel and the patient John Doe
// as further participants.

import { createHash } from 'node:crypto';
import type { MessageId, RecordId, Timestamp } from '../../core/ids.js';
import { renderLedger, type Ledger } from '../../core/ledger.js';
import { appendMessages, renderMessages, type Message } from '../../core/messages/grammar.js';
import { readStrictYaml } from '../../core/yaml.js';
import { renderStatus, initialStatus } from '../../core/status.js';
import { renderCommitMessage, subjects } from '../../core/commitMessage.js';
import type { Uuid } from '../../core/ids.js';
import { Snapshot } from '../helpers/snapshot.js';
import { clinicalId, jane, john, tom } from '../helpers/people.js';

export const THREAD = '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000';
export const T = `communications/${THREAD}`;
export const MESSAGES = `${T}/messages.md`;
export const LEDGER = `${T}/ledger.yaml`;

/** The SPEC example's first message (by Jane) and its correction. */
export const first: Message = {
  id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92' as MessageId,
  type: 'clinician',
  timestamp: '2026-01-11T14:36:15.234Z' as Timestamp,
  authorId: jane.participant_id,
  author: jane.display_name,
  body: 'Patient has reported increasing shortness of breath.\nPlease review chest X-ray and advise on next steps.',
};
export const correction: Message = {
  id: '8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d' as MessageId,
  type: 'correction',
  timestamp: '2026-01-11T14:40:02.101Z' as Timestamp,
  authorId: jane.participant_id,
  author: jane.display_name,
  corrects: first.id,
  body: 'Correction: the X-ray is from 10 January, not 11 January.',
};

export const baseLedger: Ledger = {
  thread_id: THREAD as Ledger['thread_id'],
  status: 'open',
  created_at: '2026-01-11T14:35:22.045Z' as Timestamp,
  last_updated_at: '2026-01-11T15:10:04.912Z' as Timestamp,
  participants: [jane, tom, john],
  visibility: { sensitivity: 'standard', restricted: false },
  policies: { allow_patient_participation: true, allow_external_organisations: true },
};

/** Commit messages of the SPEC table, at a care location. */
export const commitMessage = {
  record: renderCommitMessage(subjects.createRecord, 'Oxford University Hospitals'),
  thread: renderCommitMessage(subjects.createThread, 'Oxford University Hospitals'),
  message: renderCommitMessage(subjects.addMessage, 'Oxford University Hospitals'),
  ledger: renderCommitMessage(subjects.updateLedger, 'Oxford University Hospitals'),
  status: renderCommitMessage(subjects.updateStatus, 'Oxford University Hospitals'),
};

/** The record with only its status file (the server's first commit). */
export function recordSnapshot(recordId: RecordId): Snapshot {
  return new Snapshot().set('COORDINATION_STATUS.yaml', renderStatus(initialStatus(recordId, clinicalId as Uuid)));
}

/** The record with the base thread added. */
export function threadSnapshot(s: Snapshot): Snapshot {
  return s.set(LEDGER, renderLedger(baseLedger)).set(MESSAGES, renderMessages([first, correction]));
}

/** A UUID (in the form of a v4) derived from a text: the same text gives the same id on every run. */
export function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A new message, by Jane unless told otherwise, on 12 January 2026. Its id comes from its other
 * fields (unless given), so a case's commits are the same on every run; two messages of one
 * thread need another body or time.
 */
export function msg(over: Partial<Message> = {}): Message {
  const fields = {
    type: 'clinician' as const,
    timestamp: '2026-01-12T09:00:00.000Z' as Timestamp,
    authorId: jane.participant_id,
    author: jane.display_name,
    body: 'Reviewed. Continue current management.',
    ...over,
  };
  return { id: uuidOf(JSON.stringify(fields)) as MessageId, ...fields };
}

/** The ledger of a snapshot, as data. */
export function ledgerOf(s: Snapshot, path = LEDGER): Ledger {
  const read = readStrictYaml(s.text(path));
  if (!read.ok) throw new Error('unreadable ledger in a corpus snapshot');
  return read.value as Ledger;
}

/** Change the ledger. */
export function withLedger(s: Snapshot, fn: (l: Ledger) => Ledger, path = LEDGER): Snapshot {
  return s.set(path, renderLedger(fn(ledgerOf(s, path))));
}

/** Append messages and move last_updated_at to the latest of them, as a well-behaved client does. */
export function append(s: Snapshot, ...messages: Message[]): Snapshot {
  const latest = messages
    .map((m) => m.timestamp)
    .sort()
    .pop()!;
  return withLedger(
    s.edit(MESSAGES, (text) => appendMessages(text, messages)),
    (l) => ({ ...l, last_updated_at: latest > l.last_updated_at ? latest : l.last_updated_at }),
  );
}

/** Append raw text to messages.md (for forged structures the renderer would never write). */
export function appendRaw(s: Snapshot, raw: string): Snapshot {
  return withLedger(
    s.edit(MESSAGES, (text) => text + raw),
    (l) => ({ ...l, last_updated_at: '2026-01-12T09:00:00.000Z' as Timestamp }),
  );
}

/** The people of the corpus, by the name cases use for the pusher. */
export const people = { jane, tom, john };
