// Object ids in what git prints (rev-list, for-each-ref, …): bytes from another program, parsed
// once here so the callers hold Oids without casting.

import { parseOid, type Oid } from '../core/objects.js';

/**
 * The object ids of one line of git's output, separated by single spaces (`rev-list --parents`
 * prints a commit then its parents). A word that is not a full object id is a surprise from git,
 * thrown with the command named.
 */
export function oidsOfLine(line: string, command: string): Oid[] {
  return line.split(' ').map((word) => {
    const oid = parseOid(word);
    if (oid === null) throw new Error(`${command} printed ${JSON.stringify(word)} where an object id was expected`);
    return oid;
  });
}
