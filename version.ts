// The version of this CCR build, read once from package.json (`ccr --version`, the server's
// start-up line, `ccr doctor`). A small module of its own so that `ccr --version` loads nothing else.

import { existsSync, readFileSync } from 'node:fs';

/** The package version, e.g. `0.1.0` (`unknown` when package.json cannot be read). */
export const version: string = (() => {
  // dist/version.js, or a chunk of the bundled command in dist/bundle/ → package.json at the project root.
  for (const path of ['../package.json', '../../package.json']) {
    // Looked for, not tried: a thrown ENOENT builds a stack (≈3 ms of `ccr --help` in a profile).
    if (!existsSync(new URL(path, import.meta.url))) continue;
    try {
      const p = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'ccr') return p.version ?? 'unknown';
    } catch {
      // not there: the next place
    }
  }
  return 'unknown';
})();
