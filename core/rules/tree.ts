// Tree rules (SPEC 3, 8): exactly the record layout, mode 100644 only.

import { error, ruleIds, type Finding } from '../findings.js';
import { isThreadId } from '../ids.js';
import { modes, type TreeEntry } from '../objects.js';
import { COMMUNICATIONS, FILE_MODE, FOLDER_MODE, LEDGER_FILE, MESSAGES_FILE, STATUS_FILE, threadFolder, within } from '../layout.js';

const BLOB = FILE_MODE;
const TREE = FOLDER_MODE;

/** What a mode is, for messages. */
function describeMode(mode: string): string {
  const names: Record<string, string> = {
    [modes.executable]: 'an executable file', [modes.symlink]: 'a symbolic link', [modes.submodule]: 'a submodule', [modes.folder]: 'a folder', [modes.file]: 'a file',
  };
  return names[mode] ?? `mode ${mode}`;
}

/** Check one folder's entries against the names and modes it must hold exactly. */
function exactly(entries: readonly TreeEntry[], expected: Record<string, string>, folder: string): Finding[] {
  const out: Finding[] = [];
  for (const e of entries) {
    const path = within(folder, e.name);
    const mode = expected[e.name];
    if (mode === undefined) {
      out.push(error(ruleIds.treeLayout, `expected only ${Object.keys(expected).map((n) => `\`${n}\``).join(' and ')} here, found \`${e.name}\` (${describeMode(e.mode)})`, { path }));
    } else if (e.mode !== mode) {
      out.push(error(ruleIds.treeMode, `expected ${describeMode(mode)} (mode ${mode === BLOB ? FILE_MODE : `0${FOLDER_MODE}`}), found ${describeMode(e.mode)}`, { path }));
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
  if (total === 0) out.push(error(ruleIds.treeLayout, `expected at least one thread folder in \`${COMMUNICATIONS}\``, { path: COMMUNICATIONS }));
  for (const e of entries) {
    const path = threadFolder(e.name);
    if (!isThreadId(e.name)) out.push(error(ruleIds.treeLayout, `expected thread folders named \`YYYYMMDDTHHMMSS.sssZ-<uuid>\`, found \`${e.name}\``, { path }));
    else if (e.mode !== TREE) out.push(error(ruleIds.treeMode, `expected a folder, found ${describeMode(e.mode)}`, { path }));
  }
  return out;
}

/** Entries of a thread folder: exactly messages.md and ledger.yaml. */
export function threadLayout(entries: readonly TreeEntry[], path: string): Finding[] {
  const out = exactly(entries, { [LEDGER_FILE]: BLOB, [MESSAGES_FILE]: BLOB }, path);
  for (const name of [LEDGER_FILE, MESSAGES_FILE]) {
    if (!entries.some((e) => e.name === name)) out.push(error(ruleIds.treeLayout, `expected \`${name}\` in every thread folder`, { path: within(path, name) }));
  }
  return out;
}
