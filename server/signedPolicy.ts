// The signing policy's word on writes made through the API (issue 14, review of issue 16).

import { RuleViolation } from '../core/errors.js';
import { apiWriteSignatureFindings } from '../core/rules/commitSignature.js';
import type { Principal } from '../core/principal.js';

/**
 * Under `--require-signed-commits` every commit must carry its writer's own signature, and a write
 * through the API cannot (the server would sign it): a stolen token alone must not write. Refused
 * as a push of an unsigned commit is.
 */
export function unsignedWrite(p: Principal): RuleViolation {
  return new RuleViolation(apiWriteSignatureFindings(p.name));
}
