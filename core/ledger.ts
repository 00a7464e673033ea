// ledger.yaml (SPEC 5): the thread's participants, status, visibility and policies.

import { isDeepStrictEqual } from 'node:util';
import { validateLedger, type Ledger, type Participant, type Policies, type Visibility } from './ledgerSchema.js';
import { FORBIDDEN_CHARS, decodeUtf8, scanText } from './text.js';
import { readYamlFile, yamlString, type ReadResult } from './yaml.js';

export type { Ledger, Participant, Policies, Visibility } from './ledgerSchema.js';

/** Defaults at creation (SPEC 5). */
export const defaultVisibility: Visibility = { sensitivity: 'standard', restricted: false };
export const defaultPolicies: Policies = { allow_patient_participation: true, allow_external_organisations: true };

/** Size cap of ledger.yaml, checked before it is read. */
export const LEDGER_MAX_BYTES = 64 * 1024;

/** The file in the layout of the SPEC example (no comments). */
export function renderLedger(l: Ledger): string {
  const participants = l.participants
    .map(
      (p) =>
        `  - participant_id: ${p.participant_id}\n    role: ${p.role}\n    display_name: ${yamlString(p.display_name)}\n`,
    )
    .join('');
  return (
    `thread_id: ${l.thread_id}\nstatus: ${l.status}\ncreated_at: ${l.created_at}\nlast_updated_at: ${l.last_updated_at}\n` +
    `participants:\n${participants}` +
    `visibility:\n  sensitivity: ${l.visibility.sensitivity}\n  restricted: ${l.visibility.restricted}\n` +
    `policies:\n  allow_patient_participation: ${l.policies.allow_patient_participation}\n` +
    `  allow_external_organisations: ${l.policies.allow_external_organisations}\n`
  );
}

/**
 * Read ledger.yaml: strict YAML, then the schema. A file in renderLedger's layout (every ledger
 * CCR writes) is read by canonicalLedger, which gives the value the YAML reading gives, at a tenth
 * of its cost (issue 17); any other text by readLedgerYaml.
 */
export function readLedger(bytes: Uint8Array, path?: string): ReadResult<Ledger> {
  const canonical = canonicalLedger(bytes);
  return canonical ? { ok: true, value: canonical } : readLedgerYaml(bytes, path);
}

/** Read ledger.yaml with the YAML library, whatever its layout: the reading that defines the file. */
export function readLedgerYaml(bytes: Uint8Array, path?: string): ReadResult<Ledger> {
  return readYamlFile(bytes, path, { maxBytes: LEDGER_MAX_BYTES, file: 'ledger', validate: validateLedger });
}

/**
 * The ledger of a text that is exactly renderLedger's rendering of a valid ledger, read line by
 * line; null for any other text, which the YAML library then reads (and refuses, where it must).
 * Its value is the YAML reading's: the text renders back from it byte for byte, and the YAML
 * reading of a valid ledger's rendering is that ledger (each value rendered plain is held by the
 * schema to a pattern or an enum that YAML's core schema reads as that string, a name by
 * yamlString to one that reads back; test/core/properties.test.ts checks both readings agree).
 */
export function canonicalLedger(bytes: Uint8Array): Ledger | null {
  if (bytes.length > LEDGER_MAX_BYTES) return null;
  const text = decodeUtf8(bytes);
  if (text === null || scanText(text, { maxLine: 10_000 }).length > 0) return null;
  const lines = text.split('\n');
  if (lines.pop() !== '') return null;
  let at = 0;
  /** The rest of the next line when it starts with `prefix` (the line is then taken), else null. */
  const take = (prefix: string): string | null =>
    lines[at]?.startsWith(prefix) ? lines[at++]!.slice(prefix.length) : null;
  const flag = (prefix: string): boolean | null => {
    const v = take(prefix);
    return v === 'true' ? true : v === 'false' ? false : null;
  };
  const [thread_id, status, created_at, last_updated_at] = [
    take('thread_id: '),
    take('status: '),
    take('created_at: '),
    take('last_updated_at: '),
  ];
  if (take('participants:') !== '') return null;
  const participants: unknown[] = [];
  for (let id = take('  - participant_id: '); id !== null; id = take('  - participant_id: ')) {
    const role = take('    role: ');
    const name = take('    display_name: ');
    const display_name = name?.startsWith('"') ? jsonString(name) : name;
    if (role === null || display_name === null || display_name === undefined) return null;
    participants.push({ participant_id: id, role, display_name });
  }
  if (take('visibility:') !== '') return null;
  const visibility = { sensitivity: take('  sensitivity: '), restricted: flag('  restricted: ') };
  if (take('policies:') !== '') return null;
  const policies = {
    allow_patient_participation: flag('  allow_patient_participation: '),
    allow_external_organisations: flag('  allow_external_organisations: '),
  };
  if (at !== lines.length) return null;
  const ledger: unknown = { thread_id, status, created_at, last_updated_at, participants, visibility, policies };
  return validateLedger(ledger) && renderLedger(ledger) === text ? ledger : null;
}

/**
 * A double-quoted name as JSON reads it (yamlString writes JSON strings), or null; null too when
 * an escape in it gives a forbidden character (the YAML library's reading refuses that).
 */
function jsonString(quoted: string): string | null {
  try {
    const v: unknown = JSON.parse(quoted);
    return typeof v === 'string' && !FORBIDDEN_CHARS.test(v) ? v : null;
  } catch {
    return null;
  }
}

/** The participant with that id, if any. */
export function findParticipant(l: Ledger, id: string): Participant | undefined {
  return l.participants.find((p) => p.participant_id === id);
}

/** True when two ledgers differ in what needs a system message: participants, status, visibility, policies. */
export function governanceChanged(a: Ledger, b: Ledger): boolean {
  // Compared as values: the order of keys in the file is not a change.
  const key = (l: Ledger) => [l.participants, l.status, l.visibility, l.policies];
  return !isDeepStrictEqual(key(a), key(b));
}
