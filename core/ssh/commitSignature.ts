// Signatures inside git commit objects. The payload a signature covers is the commit object
// without its signature header, exactly as git computes it for `verify-commit` (commit.c,
// parse_buffer_signed_by_header); a signature is inserted as git's `commit -S` writes it: a
// `gpgsig` header after the other headers, each further line of the armour indented by a space.

import type { KeyObject } from 'node:crypto';
import { InvalidInput } from '../errors.js';
import { GIT_NAMESPACE, signSshSignature, verifySshSignature } from './sshsig.js';
import type { HashAlgorithm, SignatureCheck, SignatureFailure } from './sshsig.js';
import type { SshPublicKey } from './keys.js';
import { concatBytes } from './wire.js';

/** The header git signs SHA-1 commits with (SHA-256 repositories use `gpgsig-sha256`). */
export const SIGNATURE_HEADER = 'gpgsig';

/** A commit object split as git splits it for verification. */
export interface CommitSignature {
  /** The bytes the signature covers. */
  payload: Uint8Array;
  /** The armoured signature (the header's lines joined, continuation spaces removed); null when unsigned. */
  signature: Uint8Array | null;
  /** How many `gpgsig` headers there were (git concatenates several into one signature). */
  headers: number;
}

const NL = 0x0a;
const SP = 0x20;
const GPGSIG = new TextEncoder().encode(SIGNATURE_HEADER);
const TREE = new TextEncoder().encode('tree ');

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Split a commit object (its content, without git's `commit <size>\0` prefix) into the signed
 * payload and the signature, byte for byte as git does: header lines `gpgsig <line>` and the
 * continuation lines after them (` <line>`) make the signature; other `gpgsig…` headers (another
 * hash's signature) are left out of both; everything else, the message whole, is the payload.
 */
export function extractCommitSignature(content: Uint8Array): CommitSignature {
  const payload: Uint8Array[] = [];
  const signature: Uint8Array[] = [];
  let headers = 0;
  let inSignature = false;
  let otherSignature = false;
  let line = 0;
  while (line < content.length) {
    const nl = content.indexOf(NL, line);
    let next = nl === -1 ? content.length : nl + 1;
    let sig = -1;
    if (inSignature && content[line] === SP) sig = line + 1;
    else if (startsWith(content, line, GPGSIG) && content[line + GPGSIG.length] === SP) {
      sig = line + GPGSIG.length + 1;
      otherSignature = false;
      headers++;
    } else if (startsWith(content, line, GPGSIG)) otherSignature = true;
    else if (otherSignature && content[line] !== SP) otherSignature = false;
    if (sig !== -1) {
      signature.push(content.subarray(sig, next));
      inSignature = true;
    } else {
      if (content[line] === NL) next = content.length; // the blank line: the rest is the message
      if (!otherSignature) payload.push(content.subarray(line, next));
      inSignature = false;
    }
    line = next;
  }
  return { payload: concatBytes(payload), signature: headers ? concatBytes(signature) : null, headers };
}

/**
 * Insert an armoured signature into an unsigned commit object as git does: a `gpgsig` header
 * after the last header, the armour's further lines each indented by one space. Throws
 * InvalidInput when the commit is already signed, is not a commit (`tree` first, a blank line
 * after the headers), or the signature is not LF lines ending with a newline.
 */
export function addCommitSignature(content: Uint8Array, armored: string): Uint8Array {
  if (extractCommitSignature(content).headers)
    throw new InvalidInput('expected an unsigned commit, found one with a gpgsig header');
  if (!armored.endsWith('\n') || armored.includes('\n\n') || armored.includes('\r')) {
    throw new InvalidInput('expected an armoured signature of non-empty LF lines ending with a newline');
  }
  if (!startsWith(content, 0, TREE))
    throw new InvalidInput('expected a commit object, starting with its `tree` header');
  const at = content.findIndex((b, i) => b === NL && content[i - 1] === NL); // where git inserts: the blank line
  if (at === -1)
    throw new InvalidInput('expected a commit object with a blank line between its headers and its message');
  const header = new TextEncoder().encode(`${SIGNATURE_HEADER} ${armored.slice(0, -1).replaceAll('\n', '\n ')}\n`);
  return concatBytes([content.subarray(0, at), header, content.subarray(at)]);
}

/**
 * Sign an unsigned commit object with an Ed25519 key (namespace `git`); gives the signed object.
 * What is signed is git's payload: the object itself, less any other hash's `gpgsig-…` header.
 */
export function signCommit(
  content: Uint8Array,
  privateKey: KeyObject,
  hashAlgorithm: HashAlgorithm = 'sha512',
): Uint8Array {
  const { payload, headers } = extractCommitSignature(content);
  if (headers) throw new InvalidInput('expected an unsigned commit, found one with a gpgsig header');
  return addCommitSignature(
    content,
    signSshSignature(payload, privateKey, { namespace: GIT_NAMESPACE, hashAlgorithm }),
  );
}

/** The outcome of checking a commit's signature: a signature check, or unsigned. */
export type CommitSignatureCheck = SignatureCheck | (Omit<SignatureFailure, 'problem'> & { problem: 'unsigned' });

/**
 * Verify a commit object's SSH signature (namespace `git`), optionally as made by one key. One
 * `gpgsig` header is expected: git would join several and ssh-keygen read only the first.
 */
export function verifyCommitSignature(
  content: Uint8Array,
  options: { key?: SshPublicKey; requireUserPresence?: boolean } = {},
): CommitSignatureCheck {
  const { payload, signature, headers } = extractCommitSignature(content);
  if (!signature)
    return { ok: false, problem: 'unsigned', reason: 'expected a signed commit (a gpgsig header), found none' };
  if (headers > 1) return { ok: false, problem: 'malformed', reason: `expected one gpgsig header, found ${headers}` };
  return verifySshSignature(signature, payload, { namespace: GIT_NAMESPACE, ...options });
}
