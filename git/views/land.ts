// Landing a translated push on `main` (the server's second step wires this into receive-pack on a
// view): the new `main` objects and the pushed objects they refer to are stored in the record, then
// `main` moves by compare-and-swap. The caller holds the record lock and has had the translated
// commits judged. The view is not written here: its next update projects the new commits, which by
// the exactness of the translation gives back the pushed commits, ids and all.

import type { Oid } from '../../core/objects.js';
import { MissingObject, type ObjectSource } from '../../core/source.js';
import type { Translation } from '../../core/views/translate.js';
import { MAIN, compareAndSwapRef } from '../refs.js';
import type { PendingObject } from '../store.js';
import { storeObjects } from './pack.js';

/**
 * Store a translation's objects in the record, unreferenced until `main` moves (the server has
 * the rules judge them there); what a refused push stored is never reachable.
 */
export async function storeTranslation(record: string, translation: Translation, pushed: ObjectSource): Promise<void> {
  const objects = new Map<Oid, PendingObject>(translation.objects);
  for (const oid of translation.copy) {
    if (objects.has(oid)) continue;
    const o = await pushed.read(oid);
    if (!o) throw new MissingObject(oid);
    objects.set(oid, { type: o.type, content: o.content });
  }
  await storeObjects(record, objects);
}

/**
 * Store a translation's objects in the record and move `main` from `expected` to its last commit;
 * false when `main` moved meanwhile (nothing is lost: the stored objects are unreferenced).
 */
export async function landTranslation(
  record: string,
  translation: Translation,
  pushed: ObjectSource,
  expected: Oid,
): Promise<boolean> {
  const last = translation.commits[translation.commits.length - 1];
  if (translation.findings.length > 0) throw new TypeError('a refused translation cannot land');
  if (!last) return true;
  await storeTranslation(record, translation, pushed);
  return compareAndSwapRef(record, MAIN, last.main, expected);
}
