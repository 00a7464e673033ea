// ccr/commit-signature (SPEC 7, issue 14): a commit's signature, where there is one, verifies with a
// key in force; under `--require-signed-commits` every commit is signed by a key registered to its
// pusher, and a write through the API (which cannot carry the writer's signature) is refused. The
// judgement itself is core/rules/signature.ts; the server and sync call the functions below.

import type { Finding } from '../findings.js';
import { defineRule } from './define.js';
import { signatureRefusal, type SignatureContext } from './signature.js';

/** A commit whose signature is refused, or an API write under the signing policy. */
export const commitSignature = defineRule({
  id: 'ccr/commit-signature',
  scope: 'signature',
  check(input, _ctx, report) {
    if (input.source === 'api-write') {
      report(
        `expected a commit signed with a key registered to ${input.pusher} (this server requires signed commits), ` +
          'found a write through the API, which cannot carry your signature; commit with your key and push it with git',
      );
      return;
    }
    const why = signatureRefusal(input.content, input.commitSeconds, input.policy);
    if (why !== null) report(why);
  },
});

/** The `ccr/commit-signature` finding of one commit object (its content), or null. */
export function commitSignatureFinding(
  content: Uint8Array,
  commitSeconds: number,
  policy: SignatureContext,
): Finding | null {
  return commitSignature.run({ source: 'commit', content, commitSeconds, policy }, {})[0] ?? null;
}

/** The `ccr/commit-signature` finding of a write through the API when the server requires signed commits. */
export function apiWriteSignatureFindings(pusher: string): Finding[] {
  return commitSignature.run({ source: 'api-write', pusher }, {});
}
