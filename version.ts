// The version of this CCR build, read once from package.json (`ccr --version`, the server's
// start-up line, `ccr doctor`). A small module of its own so that `ccr --version` loads nothing else.

import { readFileSync } from 'node:fs';

/** The package version, e.g. `0.1.0` (`unknown` when package.json cannot be read). */
export const version: string = (() => {
  try {
    // dist/version.js → package.json at the project root.
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
