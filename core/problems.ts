// What a format reader (messages.md, ledger.yaml, COORDINATION_STATUS.yaml, a blob over its cap)
// finds wrong, as data: which file, what kind of problem, what was expected, where. A reader names
// no rule: the rule files of these problems (core/rules/readerRules.ts) report them under their ids.

import type { Place } from './findings.js';

/** Which file a problem is in (`blob`: an object read with a size cap, whatever file it is). */
export type ProblemFile = 'messages' | 'ledger' | 'status' | 'blob';

/**
 * What kind of problem: larger than its cap, the grammar or YAML broken, a character not allowed,
 * a limit passed (line, body, nesting), markdown that reads otherwise, the schema not kept.
 */
export type ProblemKind = 'too-large' | 'format' | 'chars' | 'limits' | 'ambiguous' | 'schema';

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
