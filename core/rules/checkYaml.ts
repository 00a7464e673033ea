// ledger.yaml and COORDINATION_STATUS.yaml read with their problems reported as findings
// (ccr/blob-size, ccr/ledger-format, ccr/ledger-schema, ccr/status-format, ccr/status-schema), for
// callers that refuse with them. Callers that only need the value use readLedger / readStatus.

import type { Finding } from '../findings.js';
import { readLedger, type Ledger } from '../ledger.js';
import { readStatus, type CoordinationStatus } from '../status.js';
import type { ReadResult } from '../yaml.js';
import { reportReaderProblems } from './readerRules.js';

/** A file's value, or the findings that kept it from being read. */
export type CheckedRead<T> = { ok: true; value: T } | { ok: false; findings: Finding[] };

/** A read with its problems reported by their rules. */
function checked<T>(read: ReadResult<T>): CheckedRead<T> {
  return read.ok ? read : { ok: false, findings: reportReaderProblems(read.problems) };
}

/** Read ledger.yaml (strict YAML, then the schema), with findings for what is wrong. */
export function checkLedger(bytes: Uint8Array, path?: string): CheckedRead<Ledger> {
  return checked(readLedger(bytes, path));
}

/** Read COORDINATION_STATUS.yaml (strict YAML, then the schema), with findings for what is wrong. */
export function checkStatus(bytes: Uint8Array, path?: string): CheckedRead<CoordinationStatus> {
  return checked(path === undefined ? readStatus(bytes) : readStatus(bytes, path));
}
