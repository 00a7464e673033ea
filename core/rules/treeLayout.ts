// ccr/tree-layout (SPEC 3, 8): exactly the record layout: the status file and `communications`
// at the root, thread folders named by thread ids, and in each exactly ledger.yaml and messages.md.

import { isThreadId } from '../ids.js';
import { COMMUNICATIONS, STATUS_FILE, threadFolder, within } from '../layout.js';
import { defineRule } from './define.js';
import { expectedEntries, describeMode, requiredFiles } from './layoutOf.js';

/** `communications` holds at least one thread folder. */
export const treeLayoutEmpty = defineRule({
  id: 'ccr/tree-layout',
  scope: 'folder',
  check(f, _ctx, report) {
    if (f.folder === 'communications' && f.total === 0)
      report(`expected at least one thread folder in \`${COMMUNICATIONS}\``, { path: COMMUNICATIONS });
  },
});

/** An entry the folder may not hold. */
export const treeLayoutEntry = defineRule({
  id: 'ccr/tree-layout',
  scope: 'entry',
  check({ folder, path, entry: e }, _ctx, report) {
    if (folder === 'communications') {
      if (!isThreadId(e.name))
        report(`expected thread folders named \`YYYYMMDDTHHMMSS.sssZ-<uuid>\`, found \`${e.name}\``, {
          path: threadFolder(e.name),
        });
      return;
    }
    const expected = expectedEntries[folder];
    if (expected[e.name] === undefined) {
      report(
        `expected only ${Object.keys(expected)
          .map((n) => `\`${n}\``)
          .join(' and ')} here, found \`${e.name}\` (${describeMode(e.mode)})`,
        { path: within(path, e.name) },
      );
    }
  },
});

/** A file the folder must hold and does not. */
export const treeLayoutMissing = defineRule({
  id: 'ccr/tree-layout',
  scope: 'folder',
  check(f, _ctx, report) {
    if (f.folder === 'communications') return;
    for (const name of requiredFiles[f.folder]) {
      if (f.entries.some((e) => e.name === name)) continue;
      if (f.folder === 'root') report(`expected \`${STATUS_FILE}\` at the root of the record`, { path: STATUS_FILE });
      else report(`expected \`${name}\` in every thread folder`, { path: within(f.path, name) });
    }
  },
});

/** A folder of the tree that is not a tree object, as the object reader found it. */
export const treeLayoutRead = defineRule({
  id: 'ccr/tree-layout',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'tree' && p.kind === 'wrong-type') report(p.message, p);
  },
});
