// Commit messages of SPEC 7: `coordination:<action>: <summary>`, a blank line, trailers.

import { FORBIDDEN_CHARS } from './text.js';

/** `create` when the commit creates the record or a thread, else `update`. */
export type CommitAction = 'create' | 'update';

/** The subjects the service writes, by operation (SPEC 7 table). */
export const subjects = {
  createRecord: 'coordination:create: Created coordination record',
  createThread: 'coordination:create: Created messaging thread',
  addMessage: 'coordination:update: Added message to thread',
  updateLedger: 'coordination:update: Updated thread ledger',
  updateStatus: 'coordination:update: Updated coordination status',
} as const;

/** A parsed commit message. */
export interface CommitMessage {
  action: CommitAction;
  summary: string;
  careLocation: string;
  /** Every trailer in order, Care-Location included. */
  trailers: Array<[key: string, value: string]>;
}

/** Bounds of a care location (SPEC 7). */
export const CARE_LOCATION_MAX = 200;

/** Why a care location is not acceptable, or null when it is. */
export function careLocationProblem(value: string): string | null {
  if (value.length === 0 || [...value].length > CARE_LOCATION_MAX)
    return `expected a care location of 1–${CARE_LOCATION_MAX} characters`;
  if (value.trim() !== value) return 'expected a care location without leading or trailing spaces';
  if (value.includes('\n') || FORBIDDEN_CHARS.test(value))
    return 'expected a care location on one line without control characters';
  return null;
}

/** The message of a commit: subject, blank line, `Care-Location` and any other trailers. */
export function renderCommitMessage(
  subject: string,
  careLocation: string,
  extra: Array<[string, string]> = [],
): string {
  const trailers = [['Care-Location', careLocation], ...extra].map(([k, v]) => `${k}: ${v}`).join('\n');
  return `${subject}\n\n${trailers}\n`;
}

const SUBJECT = /^coordination:(create|update): (\S.{0,199})$/u;
const TRAILER = /^([A-Za-z0-9][A-Za-z0-9-]*): (\S.*)$/u;

/** Parse a commit message, or say what was expected. */
export function parseCommitMessage(
  message: string,
): { ok: true; value: CommitMessage } | { ok: false; problem: string } {
  const text = message.endsWith('\n') ? message.slice(0, -1) : message;
  const lines = text.split('\n');
  const subject = SUBJECT.exec(lines[0] ?? '');
  if (!subject)
    return {
      ok: false,
      problem: `expected the subject \`coordination:<create|update>: <summary>\`, found ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`,
    };
  if (lines.length < 3 || lines[1] !== '')
    return { ok: false, problem: 'expected a blank line after the subject, then trailers (`Care-Location: …`)' };
  const trailers: Array<[string, string]> = [];
  for (const line of lines.slice(2)) {
    const t = TRAILER.exec(line);
    if (!t)
      return {
        ok: false,
        problem: `expected only trailers \`Key: value\` after the blank line, found ${JSON.stringify(line.slice(0, 80))}`,
      };
    trailers.push([t[1]!, t[2]!]);
  }
  const locations = trailers.filter(([k]) => k === 'Care-Location');
  if (locations.length !== 1)
    return { ok: false, problem: `expected exactly one \`Care-Location\` trailer, found ${locations.length}` };
  const careLocation = locations[0]![1];
  const problem = careLocationProblem(careLocation);
  if (problem) return { ok: false, problem };
  if (FORBIDDEN_CHARS.test(message))
    return { ok: false, problem: 'expected no control, zero-width or bidirectional characters in the message' };
  return { ok: true, value: { action: subject[1] as CommitAction, summary: subject[2]!, careLocation, trailers } };
}
