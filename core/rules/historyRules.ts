// The rules of a whole history, met before its commits are judged one by one (core/verify.ts):
// no `main`, other than one first commit, no record id in the first commit.

import type { Finding } from '../findings.js';
import type { HistoryInput } from './define.js';
import { commitParentsHistory } from './commitParents.js';
import { refNameHistory } from './refName.js';
import { statusIdentityHistory } from './statusIdentity.js';

/** The rules of scope `history`; each problem matches exactly one. */
export const historyRules = [refNameHistory, commitParentsHistory, statusIdentityHistory] as const;

/** The findings of one problem of a history, from the rule whose problem it is. */
export function historyFindings(h: HistoryInput): Finding[] {
  const out: Finding[] = [];
  for (const rule of historyRules) out.push(...rule.run(h, {}));
  return out;
}
