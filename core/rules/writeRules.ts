// The rules of writes refused before any commit exists (scope `write`, core/rules/define.ts): the
// service's own checks, API writes, pushes the server turns away. The server names no rule id for
// them: it says what was refused, as data, and these rules give the findings.

import type { Finding } from '../findings.js';
import type { RefusedWrite } from './define.js';
import { messageAuthorWrite } from './messageAuthor.js';
import { messageCorrectionWrite } from './messageCorrection.js';
import { refFastForwardOvertaken } from './refFastForward.js';
import { threadNotOpenWrite } from './threadNotOpen.js';
import { whoThreadWrite } from './whoThread.js';
import { whoWriteRefused } from './whoWrite.js';

/** The rules of refused writes; each refusal matches exactly one. */
export const writeRules = [
  whoWriteRefused,
  refFastForwardOvertaken,
  threadNotOpenWrite,
  whoThreadWrite,
  messageCorrectionWrite,
  messageAuthorWrite,
] as const;

/** The findings of a refused write (one), from the rule whose refusal it is. */
export function refusedWriteFindings(w: RefusedWrite): Finding[] {
  const out: Finding[] = [];
  for (const rule of writeRules) out.push(...rule.run(w, {}));
  return out;
}
