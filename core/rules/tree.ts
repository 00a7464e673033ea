// Tree rules (SPEC 3, 8): exactly the record layout, mode 100644 only.

import { error, ruleIds, type Finding } from '../findings.js';
import { isThreadId } from '../ids.js';
import type { TreeEntry } from '../objects.js';

/** Names at the root of a record. */
export const STATUS_FILE = 'COORDINATION_STATUS.yaml';
export const COMMUNICATIONS = 'communications';
/** Names in a thread folder. */
export const MESSAGES_FILE = 'messages.md';
export const LEDGER_FILE = 'ledger.yaml';

const BLOB = '100644';
const TREE = '40000';

/** What a mode is, for messages. */
function describeMode(mode: string): string {
  return ({ '100755': 'an executable file', '120000': 'a symbolic link', '160000': 'a submodule', '40000': 'a folder', '100644': 'a file' } as Record<string, string>)[mode] ?? `mode ${mode}`;
}

/** Check one folder's entries against the names and modes it must hold exactly. */
function exactly(entries: readonly TreeEntry[], expected: Record<string, string>, folder: string): Finding[] {
  const out: Finding[] = [];
  for (const e of entries) {
    const path = folder ? `${folder}/${e.name}` : e.name;
    const mode = expected[e.name];
    if (mode === undefined) {
      out.push(error(ruleIds.treeLayout, `expected only ${Object.keys(expected).map((n) => `\`${n}\``).join(' and ')} here, found \`${e.name}\` (${describeMode(e.mode)})`, { path }));
    } else if (e.mode !== mode) {
      out.push(error(ruleIds.treeMode, `expected ${describeMode(mode)} (mode ${mode === BLOB ? '100644' : '040000'}), found ${describeMode(e.mode)}`, { path }));
    }
  }
  return out;
}

/** Root entries: the status file, and `communications` once a thread exists. */
export function rootLayout(entries: readonly TreeEntry[]): Finding[] {
  const out = exactly(entries, { [STATUS_FILE]: BLOB, [COMMUNICATIONS]: TREE }, '');
  if (!entries.some((e) => e.name === STATUS_FILE)) out.push(error(ruleIds.treeLayout, `expected \`${STATUS_FILE}\` at the root of the record`, { path: STATUS_FILE }));
  return out;
}

/** Entries of `communications/` (those to judge, of `total`): one folder per thread, named by a thread id. */
export function communicationsLayout(entries: readonly TreeEntry[], total = entries.length): Finding[] {
  const out: Finding[] = [];
  if (total === 0) out.push(error(ruleIds.treeLayout, 'expected at least one thread folder in `communications`', { path: COMMUNICATIONS }));
  for (const e of entries) {
    const path = `${COMMUNICATIONS}/${e.name}`;
    if (!isThreadId(e.name)) out.push(error(ruleIds.treeLayout, `expected thread folders named \`YYYYMMDDTHHMMSS.sssZ-<uuid>\`, found \`${e.name}\``, { path }));
    else if (e.mode !== TREE) out.push(error(ruleIds.treeMode, `expected a folder, found ${describeMode(e.mode)}`, { path }));
  }
  return out;
}

/** Entries of a thread folder: exactly messages.md and ledger.yaml. */
export function threadLayout(entries: readonly TreeEntry[], path: string): Finding[] {
  const out = exactly(entries, { [LEDGER_FILE]: BLOB, [MESSAGES_FILE]: BLOB }, path);
  for (const name of [LEDGER_FILE, MESSAGES_FILE]) {
    if (!entries.some((e) => e.name === name)) out.push(error(ruleIds.treeLayout, `expected \`${name}\` in every thread folder`, { path: `${path}/${name}` }));
  }
  return out;
}
