// Temporary folders that disappear with the test, and with the test process if it ends first.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapFolder } from './reaper.js';

/** A fresh folder removed when the test `t` ends. */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'ccr-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const forget = reapFolder(dir);
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    forget();
  });
  return dir;
}
