// The FHIR R4 projection of SPEC section 11: a thread, or a whole record, as a Bundle of
// Communications. Pure: the same input always gives the same bundle (no clock, no random ids).
// Every reference inside a bundle is a `urn:uuid:` fullUrl, so it resolves in a collection and a
// FHIR server rewrites it when it loads the transaction form. The mapping is in docs/fhir.md.

// @types/fhir declares R4 as the global namespace `fhir4`; the module path `fhir/r4` would resolve
// to the `fhir` validator package, which shadows it.
/// <reference types="fhir" />
import { createHash } from 'node:crypto';
import { isUuid, threadIdParts } from './ids.js';
import { findParticipant, type Ledger } from './ledger.js';
import type { Message } from './messages/grammar.js';
import {
  isOneOf,
  roles,
  sensitivities,
  type MessageType,
  type Role,
  type Sensitivity,
  type ThreadStatus,
} from './vocabulary.js';

type Communication = fhir4.Communication;
type Entry = fhir4.BundleEntry<Communication>;
type Coding = fhir4.Coding;
type Reference = fhir4.Reference;

/** A FHIR R4 Bundle whose entries are Communications: what every function here returns. */
export type CommunicationBundle = fhir4.Bundle<Communication>;

/** A thread as the projection reads it: the shape `readThread` returns. */
export interface FhirThreadInput {
  id: string;
  ledger: Ledger;
  messages: readonly Message[];
}

/** One thread of a record, with the ids of the record and of its patient. */
export interface FhirThreadBundleInput {
  recordId: string;
  clinicalId?: string;
  thread: FhirThreadInput;
}

/** All threads of a record, with the ids of the record and of its patient. */
export interface FhirRecordBundleInput {
  recordId: string;
  clinicalId?: string;
  threads: readonly FhirThreadInput[];
}

// CCR's own systems live under a `.invalid` host (RFC 6761): it can never resolve to somebody
// else's registry, and a deployment that publishes its profiles swaps in its own base.
const CCR = 'https://ccr.invalid/fhir';

/** The systems, code systems and extension URLs the projection writes. */
export const fhirSystems = {
  /** Identifiers that are URIs: every resource's own `urn:uuid:` identifier. */
  uri: 'urn:ietf:rfc:3986',
  threadId: `${CCR}/NamingSystem/thread-id`,
  recordId: `${CCR}/NamingSystem/record-id`,
  participantId: `${CCR}/NamingSystem/participant-id`,
  clinicalId: `${CCR}/NamingSystem/clinical-id`,
  messageType: `${CCR}/CodeSystem/message-type`,
  corrects: `${CCR}/StructureDefinition/corrects`,
  coordinationRecord: `${CCR}/StructureDefinition/coordination-record`,
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  participationMode: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode',
} as const;

/** The FHIR resource a participant of each role stands for. */
const participantTypes: Record<Role, string> = {
  clinician: 'Practitioner',
  careadministrator: 'Practitioner',
  patient: 'Patient',
  patientassociate: 'RelatedPerson',
  system: 'Device',
};

const confidentiality: Record<Sensitivity, Coding> = {
  standard: { system: fhirSystems.confidentiality, code: 'N', display: 'normal' },
  confidential: { system: fhirSystems.confidentiality, code: 'R', display: 'restricted' },
  restricted: { system: fhirSystems.confidentiality, code: 'V', display: 'very restricted' },
};

const headerStatus: Record<ThreadStatus, Communication['status']> = {
  open: 'in-progress',
  closed: 'completed',
  archived: 'completed',
};

const onlineWritten: fhir4.CodeableConcept = {
  coding: [{ system: fhirSystems.participationMode, code: 'ONLINEWRIT', display: 'online written' }],
};

/** What every Communication of one thread shares. */
interface ThreadContext {
  recordId: string;
  thread: FhirThreadInput;
  /** The fullUrl of the thread header, which every message is `partOf`. */
  headerUrl: string;
  security: Coding;
  subject: Pick<Communication, 'subject'>;
}

/** A collection Bundle of one thread: its header Communication, then one per message in file order. */
export function threadToBundle(input: FhirThreadBundleInput): CommunicationBundle {
  return collection([input.thread], threadEntries(input.recordId, input.clinicalId, input.thread));
}

/** A collection Bundle of every thread of a record, each as `threadToBundle` projects it. */
export function recordToBundle(input: FhirRecordBundleInput): CommunicationBundle {
  return collection(
    input.threads,
    input.threads.flatMap((thread) => threadEntries(input.recordId, input.clinicalId, thread)),
  );
}

/** The same Communications as a transaction Bundle of conditional creates (one per identifier). */
export function toTransactionBundle(bundle: CommunicationBundle): CommunicationBundle {
  return {
    resourceType: 'Bundle',
    ...(bundle.meta ? { meta: bundle.meta } : {}),
    type: 'transaction',
    ...some('entry', (bundle.entry ?? []).map(transactionEntry)),
  };
}

/** `{ [key]: items }`, or nothing: FHIR allows no empty array. */
function some<K extends string, T>(key: K, items: T[]): { [P in K]?: T[] } {
  return (items.length > 0 ? { [key]: items } : {}) as { [P in K]?: T[] };
}

function urnUuid(uuid: string): string {
  return `urn:uuid:${uuid}`;
}

/** Collection bundles carry the highest sensitivity of their threads, so the bundle as a whole is labelled. */
function collection(threads: readonly FhirThreadInput[], entries: Entry[]): CommunicationBundle {
  const highest = sensitivities.findLast((s) => threads.some((t) => t.ledger.visibility.sensitivity === s));
  const meta = highest === undefined ? {} : { meta: { security: [confidentiality[highest]] } };
  return { resourceType: 'Bundle', ...meta, type: 'collection', ...some('entry', entries) };
}

/** The header entry of a thread, then one entry per message. */
function threadEntries(recordId: string, clinicalId: string | undefined, thread: FhirThreadInput): Entry[] {
  const threadUuid = checkedThreadUuid(recordId, thread);
  const ctx: ThreadContext = {
    recordId,
    thread,
    headerUrl: urnUuid(threadUuid),
    security: confidentiality[thread.ledger.visibility.sensitivity],
    subject: clinicalId
      ? { subject: { type: 'Patient', identifier: { system: fhirSystems.clinicalId, value: clinicalId } } }
      : {},
  };
  const ids = messageIds(thread.messages);
  return [
    { fullUrl: ctx.headerUrl, resource: header(ctx, threadUuid) },
    ...thread.messages.map((m, i) => ({ fullUrl: urnUuid(ids[i]!), resource: message(ctx, m, ids[i]!) })),
  ];
}

/**
 * The FHIR id of each message: its own id, or, for a later block with an id already used (two
 * sites accepted one id with other text, and the sync merge kept both: docs/decisions.md), a
 * UUID (version 8) derived from the block, so fullUrls stay unique and the same at every run.
 */
function messageIds(messages: readonly Message[]): string[] {
  const seen = new Set<string>();
  return messages.map((m) => {
    if (!seen.has(m.id)) {
      seen.add(m.id);
      return m.id;
    }
    const fields = [m.id, m.type, m.timestamp, m.authorId, m.author, m.corrects ?? null, m.body];
    const h = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
    const variant = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  });
}

/**
 * The UUID part of the thread id, after checking every id that becomes a FHIR id or fullUrl.
 * Input comes from validated files, so a failure here is a caller's bug, not user content.
 */
function checkedThreadUuid(recordId: string, thread: FhirThreadInput): string {
  const parsed = threadIdParts(thread.id);
  if (!parsed)
    throw new TypeError(`expected a thread id YYYYMMDDTHHMMSS.sssZ-<uuid>, found ${JSON.stringify(thread.id)}`);
  if (!isUuid(recordId)) throw new TypeError(`expected a record id (UUID), found ${JSON.stringify(recordId)}`);
  const seen = new Set<string>();
  for (const m of thread.messages) {
    if (!isUuid(m.id)) throw new TypeError(`expected a message id (UUID), found ${JSON.stringify(m.id)}`);
    // A correction points at an earlier message of the same thread (SPEC 8), so its reference resolves.
    if (m.corrects !== undefined && !seen.has(m.corrects))
      throw new TypeError(
        `expected message ${m.id} to correct an earlier message of thread ${thread.id}, found ${m.corrects}`,
      );
    seen.add(m.id);
  }
  return parsed.uuid;
}

/** The thread-header Communication: who takes part, how far along, how sensitive; no payload. */
function header(ctx: ThreadContext, threadUuid: string): Communication {
  const { ledger, id } = ctx.thread;
  return {
    resourceType: 'Communication',
    id,
    meta: { security: [ctx.security] },
    // The record id rides on the header so that a bundle of one thread still says whose record it is.
    extension: [
      { url: fhirSystems.coordinationRecord, valueIdentifier: { system: fhirSystems.recordId, value: ctx.recordId } },
    ],
    // First the urn:uuid of the thread id's UUID, like every message (the transaction keys on it);
    // then the whole thread id, the name people and the CCR API know the thread by.
    identifier: [ownIdentifier(threadUuid), { system: fhirSystems.threadId, value: id }],
    status: headerStatus[ledger.status],
    ...ctx.subject,
    ...some(
      'recipient',
      ledger.participants.map((p) => participantReference(p.participant_id, p.display_name, p.role)),
    ),
  };
}

/** One message as a Communication, `partOf` its thread header. */
function message(ctx: ThreadContext, m: Message, id: string): Communication {
  const { ledger } = ctx.thread;
  const corrected: Reference | undefined =
    m.corrects === undefined ? undefined : { reference: urnUuid(m.corrects), type: 'Communication' };
  const others = ledger.participants.filter((p) => p.participant_id !== m.authorId);
  return {
    resourceType: 'Communication',
    id,
    // Every message repeats the thread's label: a server filters resources one by one.
    meta: { security: [ctx.security] },
    ...(corrected ? { extension: [correctsExtension(corrected)] } : {}),
    identifier: [ownIdentifier(id)],
    partOf: [{ reference: ctx.headerUrl, type: 'Communication' }],
    ...(corrected ? { inResponseTo: [corrected] } : {}),
    status: 'completed',
    category: [{ coding: [{ system: fhirSystems.messageType, code: m.type }] }],
    medium: [onlineWritten],
    ...ctx.subject,
    sent: m.timestamp,
    ...some(
      'recipient',
      others.map((p) => participantReference(p.participant_id, p.display_name, p.role)),
    ),
    // The name as written in the message, not today's ledger name: the record shows who wrote it then.
    sender: participantReference(m.authorId, m.author, findParticipant(ledger, m.authorId)?.role ?? authorRole(m.type)),
    payload: [{ contentString: m.body }],
  };
}

/** The author's role when the ledger no longer lists them: a message type names it, except `system` and `correction`. */
function authorRole(type: MessageType): Role | undefined {
  return type !== 'system' && isOneOf(roles, type) ? type : undefined;
}

function correctsExtension(corrected: Reference): fhir4.Extension {
  return { url: fhirSystems.corrects, valueReference: corrected };
}

function ownIdentifier(uuid: string): fhir4.Identifier {
  return { system: fhirSystems.uri, value: urnUuid(uuid) };
}

/** A logical reference: the participant has no FHIR resource of its own in CCR, only an id and a name. */
function participantReference(id: string, display: string, role: Role | undefined): Reference {
  return {
    ...(role ? { type: participantTypes[role] } : {}),
    identifier: { system: fhirSystems.participantId, value: id },
    display,
  };
}

/**
 * A collection entry as a conditional create. The resource id is left out: a server assigns its
 * own on POST (R4 http.html#create says it SHALL ignore one), and identity is the identifier.
 */
function transactionEntry(entry: Entry): Entry {
  const own = entry.resource?.identifier?.[0];
  if (!entry.resource || !entry.fullUrl || !own?.system || !own.value) {
    throw new TypeError(
      'expected entries with a fullUrl and a resource with an identifier, as threadToBundle makes them',
    );
  }
  const resource = { ...entry.resource };
  delete resource.id;
  return {
    fullUrl: entry.fullUrl,
    resource,
    request: { method: 'POST', url: 'Communication', ifNoneExist: `identifier=${own.system}|${own.value}` },
  };
}
