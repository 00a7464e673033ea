// ccr/tree-mode (SPEC 3, 8): files of mode 100644 and folders only; no executables, links or submodules.

import { isThreadId } from '../ids.js';
import { FILE_MODE, FOLDER_MODE, threadFolder, within } from '../layout.js';
import { defineRule } from './define.js';
import { describeMode, expectedEntries } from './layoutOf.js';

/** An expected entry of the wrong mode (an unexpected one is ccr/tree-layout's). */
export const treeModeEntry = defineRule({
  id: 'ccr/tree-mode',
  scope: 'entry',
  check({ folder, path, entry: e }, _ctx, report) {
    if (folder === 'communications') {
      if (isThreadId(e.name) && e.mode !== FOLDER_MODE)
        report(`expected a folder, found ${describeMode(e.mode)}`, { path: threadFolder(e.name) });
      return;
    }
    const mode = expectedEntries[folder][e.name];
    if (mode !== undefined && e.mode !== mode) {
      report(
        `expected ${describeMode(mode)} (mode ${mode === FILE_MODE ? FILE_MODE : `0${FOLDER_MODE}`}), found ${describeMode(e.mode)}`,
        { path: within(path, e.name) },
      );
    }
  },
});

/** A file of the tree that is not a blob, as the object reader found it. */
export const treeModeRead = defineRule({
  id: 'ccr/tree-mode',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'blob' && p.kind === 'wrong-type') report(p.message, p);
  },
});
