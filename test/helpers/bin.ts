// The `ccr` command the tests run: the bundle a user runs (dist/bundle/ccr.cjs, made by
// scripts/bundle.mjs after tsc), refused when older than the compiled modules it was made from,
// so a test never runs yesterday's code after a `tsc` without `npm run build`.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './fixtures.js';

let checked: string | undefined;

/** The path of the bundled `ccr`; throws, saying what to run, when it is missing or stale. */
export function ccrBin(): string {
  if (checked) return checked;
  const bin = join(root, 'dist', 'bundle', 'ccr.cjs');
  let meta: { inputs: Record<string, unknown> };
  try {
    meta = JSON.parse(readFileSync(join(root, 'dist', 'bundle', 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    throw new Error('no bundled ccr in dist/bundle/: run npm run build (tsc, then scripts/bundle.mjs)');
  }
  const built = statSync(bin).mtimeMs;
  const stale = Object.keys(meta.inputs).filter(
    (p) => p.startsWith('dist/') && statSync(join(root, p)).mtimeMs > built,
  );
  if (stale.length > 0)
    throw new Error(`dist/bundle/ is older than ${stale[0]} (and ${stale.length - 1} more): run npm run build`);
  return (checked = bin);
}
