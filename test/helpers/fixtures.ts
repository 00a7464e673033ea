// Access to test/fixtures/ from the compiled tests (dist/test/...).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The bytes of a fixture file. */
export function fixture(name: string): Buffer {
  return readFileSync(join(root, 'test', 'fixtures', name));
}

/** The text of a fixture file. */
export function fixtureText(name: string): string {
  return fixture(name).toString('utf8');
}
