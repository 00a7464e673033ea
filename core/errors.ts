// The one error registry. Every error CCR raises on purpose is a subclass of CcrError with a
// stable string code (the class name), an HTTP status and a data payload. Callers branch on
// `code`, never on message text. An error a person can fix carries `data.hint`: what to do.

import type { Finding } from './findings.js';

/** Base of every deliberate CCR error. */
export abstract class CcrError extends Error {
  /** The stable code: the class name. */
  abstract readonly code: string;
  /** The HTTP status the server answers with. */
  abstract readonly status: number;
  constructor(
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
  override get name(): string {
    return this.code;
  }
}

/** Input that does not have the expected shape or values. */
export class InvalidInput extends CcrError {
  readonly code = 'InvalidInput';
  readonly status = 400;
}

/** The author of a message or change is not allowed to write it (not a participant, wrong name). */
export class AuthorInvalid extends CcrError {
  readonly code = 'AuthorInvalid';
  readonly status = 403;
}

/** No record with that id exists. */
export class RecordNotFound extends CcrError {
  readonly code = 'RecordNotFound';
  readonly status = 404;
}

/** A record with that id already exists. */
export class RecordExists extends CcrError {
  readonly code = 'RecordExists';
  readonly status = 409;
}

/** No thread with that id exists in the record. */
export class ThreadNotFound extends CcrError {
  readonly code = 'ThreadNotFound';
  readonly status = 404;
}

/** The thread is closed or archived and takes no new messages. */
export class ThreadClosed extends CcrError {
  readonly code = 'ThreadClosed';
  readonly status = 409;
}

/** No message with that id exists in the thread. */
export class MessageNotFound extends CcrError {
  readonly code = 'MessageNotFound';
  readonly status = 404;
}

/** The change would break a rule of SPEC section 8; `data.findings` says which. */
export class RuleViolation extends CcrError {
  readonly code = 'RuleViolation';
  readonly status = 422;
  constructor(readonly findings: Finding[]) {
    super(findings.map((f) => `${f.rule}${f.path ? ' ' + f.path : ''}: ${f.message}`).join('\n'), { findings });
  }
}

/** `main` kept moving under the writer; the operation was retried and gave up. */
export class ConcurrentUpdate extends CcrError {
  readonly code = 'ConcurrentUpdate';
  readonly status = 409;
}

/** The record is locked by another writer for longer than the wait allows. */
export class RecordLocked extends CcrError {
  readonly code = 'RecordLocked';
  readonly status = 503;
}

/** The working copy has local changes in the files the operation must update. */
export class WorkingCopyConflict extends CcrError {
  readonly code = 'WorkingCopyConflict';
  readonly status = 409;
}

/** git (the CLI or the object store) failed; the details are in `data`. */
export class GitFailure extends CcrError {
  readonly code = 'GitFailure';
  readonly status = 500;
}

/** No or bad credentials. */
export class Unauthorized extends CcrError {
  readonly code = 'Unauthorized';
  readonly status = 401;
}

/** The principal may not do this. */
export class Forbidden extends CcrError {
  readonly code = 'Forbidden';
  readonly status = 403;
}

/** Nothing is served at that path. */
export class NotFound extends CcrError {
  readonly code = 'NotFound';
  readonly status = 404;
}

/** The method is not allowed at that path. */
export class MethodNotAllowed extends CcrError {
  readonly code = 'MethodNotAllowed';
  readonly status = 405;
}

/** A request body larger than the configured cap (also after gzip inflation). */
export class PayloadTooLarge extends CcrError {
  readonly code = 'PayloadTooLarge';
  readonly status = 413;
}

/** A request body of a type the endpoint does not take. */
export class UnsupportedMediaType extends CcrError {
  readonly code = 'UnsupportedMediaType';
  readonly status = 415;
}

/** A name that is already taken (a principal). */
export class Conflict extends CcrError {
  readonly code = 'Conflict';
  readonly status = 409;
}

/** The server is shutting down or overloaded. */
export class Unavailable extends CcrError {
  readonly code = 'Unavailable';
  readonly status = 503;
}

/** A principal's quota for the period is used up (records, threads or bytes); `message` says when to retry. */
export class QuotaExceeded extends CcrError {
  readonly code = 'QuotaExceeded';
  readonly status = 429;
}

/** An `Idempotency-Key` used again with a different request (method, path or body). */
export class IdempotencyKeyReused extends CcrError {
  readonly code = 'IdempotencyKeyReused';
  readonly status = 422;
}

/** The server cannot start (port in use, data folder unusable, git missing, …); `data.hint` says what to do. */
export class CannotStart extends CcrError {
  readonly code = 'CannotStart';
  readonly status = 503;
}

/** What to do about an error, when it says (`data.hint`). */
export function hintOf(e: unknown): string | undefined {
  const hint = isCcrError(e) ? e.data['hint'] : undefined;
  return typeof hint === 'string' ? hint : undefined;
}

/** Every error class of the registry, by code. */
export const errorClasses = {
  InvalidInput,
  AuthorInvalid,
  RecordNotFound,
  RecordExists,
  ThreadNotFound,
  ThreadClosed,
  MessageNotFound,
  RuleViolation,
  ConcurrentUpdate,
  RecordLocked,
  WorkingCopyConflict,
  GitFailure,
  Unauthorized,
  Forbidden,
  NotFound,
  MethodNotAllowed,
  PayloadTooLarge,
  UnsupportedMediaType,
  Conflict,
  Unavailable,
  QuotaExceeded,
  CannotStart,
  IdempotencyKeyReused,
} as const;

/** The code of any registered error. */
export type ErrorCode = keyof typeof errorClasses;

/** True for a deliberate CCR error (any class of the registry). */
export function isCcrError(e: unknown): e is CcrError {
  return e instanceof CcrError;
}
