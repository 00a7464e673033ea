// What a reader (messages.md, ledger.yaml, COORDINATION_STATUS.yaml, the objects read for them:
// a blob over its cap, an object of the wrong type, a malformed tree) finds wrong, as data: which file, what kind of problem, what was expected, where. A reader names
// no rule: the rule files of these problems (core/rules/readerRules.ts) report them under their ids.

import type { Place } from './findings.js';

/**
 * Which file a problem is in: a record file, `blob` for an object read as a file whatever file it
 * is (its size cap, its type), `tree` for an object read as a folder.
 */
export type ProblemFile = 'messages' | 'ledger' | 'status' | 'blob' | 'tree';

/**
 * What kind of problem: larger than its cap, the grammar or YAML broken, a character not allowed,
 * a limit passed (line, body, nesting), markdown that reads otherwise, the schema not kept, an
 * object of another type than its place in the tree says, a tree object git would not write.
 */
export type ProblemKind =
  'too-large' | 'format' | 'chars' | 'limits' | 'ambiguous' | 'schema' | 'wrong-type' | 'malformed';

/** One problem a reader found: the file and kind, what was expected and found, and where. */
export interface ReaderProblem extends Place {
  file: ProblemFile;
  kind: ProblemKind;
  message: string;
}

/** Build a problem; `where` holds the optional place fields. */
export function problem(file: ProblemFile, kind: ProblemKind, message: string, where: Place = {}): ReaderProblem {
  return { file, kind, message, ...where };
}
