// Identifiers of SPEC section 2: canonical UUIDs, shard paths, thread ids (TimestampId) and the
// millisecond timestamps written in files.

import { v4 as uuidv4 } from 'uuid';

declare const brand: unique symbol;
/**
 * A string known to satisfy a format; the brand keeps unchecked strings out. The brand is a set of
 * tags (one key each), so a value can carry several: a RecordId is also a Uuid, but not a
 * ParticipantId.
 */
export type Brand<T, B extends string> = T & { readonly [brand]: { readonly [K in B]: true } };

/** A canonical lowercase hyphenated UUID. */
export type Uuid = Brand<string, 'Uuid'>;
/** The id of a coordination record (a UUID); not a message or participant id. */
export type RecordId = Brand<string, 'Uuid' | 'RecordId'>;
/** The id of a message (a UUID); not a record or participant id. */
export type MessageId = Brand<string, 'Uuid' | 'MessageId'>;
/** The id of a participant (a UUID); not a record or message id. */
export type ParticipantId = Brand<string, 'Uuid' | 'ParticipantId'>;
/** A thread id: `YYYYMMDDTHHMMSS.sssZ-<uuid>`. */
export type ThreadId = Brand<string, 'ThreadId'>;
/** A file timestamp: `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export type Timestamp = Brand<string, 'Timestamp'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const THREAD_ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z-([0-9a-f-]{36})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** True for the canonical form only (lowercase, hyphenated, 36 characters); any version. */
export function isUuid(value: unknown): value is Uuid {
  return typeof value === 'string' && UUID.test(value);
}

/** The value as a UUID when it is one in canonical form, else null. */
export function parseUuid(value: unknown): Uuid | null {
  return isUuid(value) ? value : null;
}

// The three kinds of UUID share one format; what a value names is known only at the edge that
// read it (the field, the path segment, the option), so each kind has its own guard and parser.

/** True when the value is a canonical UUID, taken as a record id. */
export function isRecordId(value: unknown): value is RecordId {
  return isUuid(value);
}

/** The value as a record id when it is a canonical UUID, else null. */
export function parseRecordId(value: unknown): RecordId | null {
  return isRecordId(value) ? value : null;
}

/** True when the value is a canonical UUID, taken as a message id. */
export function isMessageId(value: unknown): value is MessageId {
  return isUuid(value);
}

/** The value as a message id when it is a canonical UUID, else null. */
export function parseMessageId(value: unknown): MessageId | null {
  return isMessageId(value) ? value : null;
}

/** True when the value is a canonical UUID, taken as a participant id. */
export function isParticipantId(value: unknown): value is ParticipantId {
  return isUuid(value);
}

/** The value as a participant id when it is a canonical UUID, else null. */
export function parseParticipantId(value: unknown): ParticipantId | null {
  return isParticipantId(value) ? value : null;
}

/** A new random (v4) UUID in canonical form, for any kind of id. */
export function newUuid(): RecordId & MessageId & ParticipantId {
  const id: unknown = uuidv4();
  // The uuid package writes the canonical form; the check keeps the brand honest without a cast.
  if (!isUuid(id) || !isRecordId(id) || !isMessageId(id) || !isParticipantId(id))
    throw new TypeError(`uuid gave a non-canonical id: ${String(id)}`);
  return id;
}

/** The two shard folders of a record id: first two hex characters, then the next two. */
export function shardPath(id: RecordId): [s1: string, s2: string] {
  return [id.slice(0, 2), id.slice(2, 4)];
}

/** Milliseconds since the epoch of a calendar-valid UTC date written by parts, or null. */
function utcMillis(parts: string[]): number | null {
  const [y, mo, d, h, mi, s, ms] = parts.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 31 February into March; a round trip through the parts catches it. Years
  // before 1970 are refused (Date.UTC also reads 0026 as 1926).
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  if (h > 23 || mi > 59 || s > 59 || y < 1970) return null;
  return t;
}

/** True when the value is a file timestamp: exact form, calendar-valid. */
export function isTimestamp(value: unknown): value is Timestamp {
  return typeof value === 'string' && parseTimestamp(value) !== null;
}

/** Milliseconds since the epoch of a file timestamp, or null when it is not one. */
export function parseTimestamp(value: string): number | null {
  const m = TIMESTAMP.exec(value);
  return m ? utcMillis(m.slice(1, 8)) : null;
}

/** The file timestamp of a time in milliseconds since the epoch. */
export function formatTimestamp(ms: number): Timestamp {
  // toISOString writes exactly this form for every time a clock gives (years 1970–9999), so the
  // formatter is where the brand is given, as a parser gives it after its check.
  return new Date(ms).toISOString() as Timestamp;
}

/** The parts of a thread id, or null when the value is not one. */
export function threadIdParts(value: string): { time: number; uuid: Uuid } | null {
  const m = THREAD_ID.exec(value);
  if (!m || !isUuid(m[8])) return null;
  const time = utcMillis(m.slice(1, 8));
  return time === null ? null : { time, uuid: m[8] };
}

/** True when the value is a thread id: exact form, calendar-valid date, canonical UUID. */
export function isThreadId(value: unknown): value is ThreadId {
  return typeof value === 'string' && threadIdParts(value) !== null;
}

/** The value as a thread id when it is one (exact form, calendar-valid, canonical UUID), else null. */
export function parseThreadId(value: unknown): ThreadId | null {
  return isThreadId(value) ? value : null;
}

/** The thread id for a time and a UUID. */
export function formatThreadId(ms: number, uuid: Uuid): ThreadId {
  const iso = new Date(ms).toISOString(); // 2026-01-11T14:35:22.045Z
  const compact =
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    'T' +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 23) +
    'Z';
  const id = `${compact}-${uuid}`;
  // Built from a valid time and a canonical UUID, so the check passes; it stands for the cast.
  if (!isThreadId(id)) throw new TypeError(`not a thread id: ${id}`);
  return id;
}

/** The file timestamp a thread id was created at (the ledger's `created_at`). */
export function threadIdTimestamp(id: ThreadId): Timestamp {
  const parsed = threadIdParts(id);
  if (!parsed) throw new TypeError(`not a thread id: ${id}`);
  return formatTimestamp(parsed.time);
}

/**
 * Issues strictly increasing millisecond times (SPEC 2): when the clock has not moved past the
 * last time issued, the next one is the last plus 1 ms.
 */
export class TimestampIdGenerator {
  #last = 0;
  constructor(private readonly clock: () => number = Date.now) {}

  /** The next time: the clock, or one millisecond after the last one issued. */
  nextTime(): number {
    const now = this.clock();
    this.#last = now > this.#last ? now : this.#last + 1;
    return this.#last;
  }

  /** A new thread id at the next time. */
  next(): ThreadId {
    return formatThreadId(this.nextTime(), newUuid());
  }
}

/** The generator shared by a process, so ids are increasing across all its services. */
export const processTimestamps = new TimestampIdGenerator();
