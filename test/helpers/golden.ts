// Golden files: text a person reads (the `remote:` lines of a refused push), pinned in files under
// test/ so that a change to it shows in review. `CCR_UPDATE_GOLDEN=1` writes what the code gives
// instead of comparing (as mdast-util-from-markdown's fixture tests regenerate on request).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './fixtures.js';

// True when golden files are being written instead of compared.
const updatingGolden = process.env['CCR_UPDATE_GOLDEN'] === '1';

/** A file name for a case name: lowercase words joined by `-`. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 100);
}

/**
 * Compare `actual` with the golden file at `path` (relative to the project root), or write it
 * when updating. Gives the expected text (the file's, or `actual` when it was written).
 */
export function golden(path: string, actual: string): { expected: string | null; written: boolean } {
  const file = join(root, path);
  if (updatingGolden) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return { expected: actual, written: true };
  }
  return { expected: existsSync(file) ? readFileSync(file, 'utf8') : null, written: false };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The UUIDs written in source files (relative to the project root): those stay as they are in golden text. */
export function writtenUuids(...files: string[]): Set<string> {
  return new Set(files.flatMap((f) => readFileSync(join(root, f), 'utf8').match(UUID) ?? []));
}

/**
 * A receipt's lines with what differs from run to run made stable: its time, the server's URL,
 * and the signature (its lines become one `<signature>` line); the fields a pusher checks stay.
 */
function receiptsStable(lines: string[]): string[] {
  const out: string[] = [];
  let signature = false;
  for (const l of lines) {
    if (/^remote: -----BEGIN SSH SIGNATURE-----\s*$/.test(l)) {
      signature = true;
      out.push(l, 'remote: <signature>');
    } else if (/^remote: -----END SSH SIGNATURE-----\s*$/.test(l)) {
      signature = false;
      out.push(l);
    } else if (!signature) {
      out.push(
        l
          .replace(/^remote: time: \S+/, 'remote: time: <time>')
          .replace(/^remote: server: \S+/, 'remote: server: <server>')
          .replace(/^remote: request: [0-9a-f]+/, 'remote: request: <request>'),
      );
    }
  }
  return out;
}

/**
 * The `remote:` lines of a push as a person reads them, with what differs from run to run made
 * stable: the request id, commit and object ids, the record id, and UUIDs made at run time (those
 * not in `stable`), numbered in the order they appear.
 */
export function remoteLines(stderr: string, record: string, stable: ReadonlySet<string>): string {
  const made = new Map<string, string>();
  return (
    receiptsStable(stderr.split('\n').filter((l) => l.startsWith('remote: ')))
      .map((l) =>
        l
          .replaceAll(record, '<record>')
          .replace(UUID, (u) =>
            stable.has(u) ? u : (made.get(u) ?? (made.set(u, `<uuid-${made.size + 1}>`), made.get(u)!)),
          )
          .replace(/\(request [0-9a-f]+\)/g, '(request <request>)')
          .replace(/(?<![-0-9a-f])[0-9a-f]{40}(?![-0-9a-f])/g, '<oid>')
          .replace(/(?<![-0-9a-f])[0-9a-f]{12}(?![-0-9a-f])/g, '<oid>')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
