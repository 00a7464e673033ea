// The signing policy's word on writes made through the API (issue 14, review of issue 16).

import { RuleViolation } from '../core/errors.js';
import { error, ruleIds } from '../core/findings.js';
import type { Principal } from '../core/principal.js';

/**
 * Under `--require-signed-commits` every commit must carry its writer's own signature, and a write
 * through the API cannot (the server would sign it): a stolen token alone must not write. Refused
 * as a push of an unsigned commit is.
 */
export function unsignedWrite(p: Principal): RuleViolation {
  return new RuleViolation([error(ruleIds.commitSignature,
    `expected a commit signed with a key registered to ${p.name} (this server requires signed commits), found a write through the API, which cannot carry your signature; commit with your key and push it with git`)]);
}

