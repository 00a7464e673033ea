// The rules of what the readers find (core/problems.ts): a messages.md, ledger.yaml or status
// file that cannot be read, a blob over its cap, an object of the wrong type, a malformed tree. Each problem is one finding, of the one rule
// whose file and kind it is; the readers name no rule. Also in the index (ruleFiles, readRules).

import type { Finding } from '../findings.js';
import type { ReaderProblem } from '../problems.js';
import { blobSize } from './blobSize.js';
import { ledgerFormat } from './ledgerFormat.js';
import { ledgerSchemaRead } from './ledgerSchema.js';
import { messageAmbiguous } from './messageAmbiguous.js';
import { messageChars } from './messageChars.js';
import { messageFormat } from './messageFormat.js';
import { messageLimits } from './messageLimits.js';
import { statusFormat } from './statusFormat.js';
import { statusSchemaRead } from './statusSchema.js';
import { objectFormatRead } from './objectFormat.js';
import { treeLayoutRead } from './treeLayout.js';
import { treeModeRead } from './treeMode.js';

/** The rules of reader problems (scope `problem`); each problem matches exactly one. */
export const readerRules = [
  treeLayoutRead,
  treeModeRead,
  objectFormatRead,
  blobSize,
  messageFormat,
  messageChars,
  messageLimits,
  messageAmbiguous,
  ledgerFormat,
  ledgerSchemaRead,
  statusFormat,
  statusSchemaRead,
] as const;

/**
 * The findings of reader problems, in their order: the one door for a caller outside the evaluator
 * (rendering a body, reading a file for the API, the web view, a merge) that refuses with them.
 */
export function reportReaderProblems(problems: readonly ReaderProblem[]): Finding[] {
  const out: Finding[] = [];
  for (const p of problems) for (const rule of readerRules) out.push(...rule.run(p, {}));
  return out;
}
