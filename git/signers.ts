// Commit signers (git/build.ts `CommitSigner`): with a private key held in this process (the
// server's site key), with ssh-keygen and a key file (a client: the private key never enters this
// process), and with a signature made elsewhere (a peer's first commit re-created byte for byte).

import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { InvalidInput } from '../core/errors.js';
import {
  addCommitSignature,
  extractCommitSignature,
  signCommit,
  verifyCommitSignature,
} from '../core/ssh/commitSignature.js';
import type { CommitSigner } from './build.js';

/** Sign with an Ed25519 key held in memory (the site key). */
export function keySigner(key: KeyObject): CommitSigner {
  return async (unsigned) => signCommit(unsigned, key);
}

/** Add a given armoured signature (made by whoever made the original commit). */
export function givenSignature(armored: string): CommitSigner {
  return async (unsigned) => {
    const signed = addCommitSignature(unsigned, armored);
    const check = verifyCommitSignature(signed);
    if (!check.ok)
      throw new InvalidInput(
        `expected a signature that verifies over the commit, found one that does not: ${check.reason}`,
      );
    return signed;
  };
}

/**
 * Sign as `git commit -S` with `gpg.format=ssh` does: `ssh-keygen -Y sign -n git -f KEY` over git's
 * payload. KEY is a private key file, or a public key whose private half an ssh-agent holds.
 */
export function sshKeygenSigner(keyFile: string, program = 'ssh-keygen'): CommitSigner {
  return (unsigned) =>
    new Promise((resolve, reject) => {
      const { payload, headers } = extractCommitSignature(unsigned);
      if (headers) {
        reject(new InvalidInput('expected an unsigned commit, found one with a gpgsig header'));
        return;
      }
      const child = execFile(
        program,
        ['-Y', 'sign', '-n', 'git', '-f', keyFile],
        { encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) {
            reject(
              new InvalidInput(`could not sign with ${keyFile}: ${(stderr || err.message).trim().split('\n').pop()}`, {
                hint: 'ccr config set signing-key PATH names an ssh private key (or a public key held by ssh-agent)',
              }),
            );
            return;
          }
          try {
            resolve(addCommitSignature(unsigned, stdout));
          } catch (e) {
            reject(e);
          }
        },
      );
      // ssh-keygen may exit before reading the payload (an unreadable key): its exit status says why.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(Buffer.from(payload));
    });
}
