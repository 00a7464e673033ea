// The commit signature rule in memory (core/rules/signature.ts): windows judged at the commit
// time and at the server time, revocation from its second on, the policy's extra refusals, and
// the offline status `ccr verify --allowed-signers` reports.

import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { signatureStatus, type RegisteredKey, type SignatureContext } from '../../core/rules/signature.js';
import { commitSignatureFinding } from '../../core/rules/commitSignature.js';
import { signCommit } from '../../core/ssh/commitSignature.js';
import { fingerprint, publicKeyFromKeyObject, type SshPublicKey } from '../../core/ssh/keys.js';

const T = 1_800_000_000; // the commit time, seconds
const pair = () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const parsed = publicKeyFromKeyObject(privateKey);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { privateKey, key: parsed.key };
};
const commit = (seconds: number) =>
  new TextEncoder().encode(
    `tree ${'4b825dc642cb6eb9a060e54bf8d69288fbee4904'}\n` +
      `author A <a@ccr.invalid> ${seconds} +0000\ncommitter A <a@ccr.invalid> ${seconds} +0000\n\n` +
      'coordination:update: Added message to thread\n',
  );
const registered = (key: SshPublicKey, principal: string, more: Partial<RegisteredKey> = {}): RegisteredKey => ({
  principal,
  fingerprint: fingerprint(key),
  valid_after: null,
  valid_before: null,
  revoked_at: null,
  ...more,
});
const ctx = (keys: RegisteredKey[], required: boolean, nowSeconds = T + 60): SignatureContext => ({
  pusher: 'jane',
  required,
  now: nowSeconds * 1000,
  key: (fp) => keys.find((k) => k.fingerprint === fp) ?? null,
});

t.test('each case with and without the policy', async (t) => {
  const jane = pair();
  const tom = pair();
  const signed = signCommit(commit(T), jane.privateKey);
  const judge = (keys: RegisteredKey[], required: boolean, content = signed, now?: number) =>
    commitSignatureFinding(content, T, ctx(keys, required, now))?.message ?? null;
  t.equal(judge([registered(jane.key, 'jane')], true), null, "the pusher's key: accepted");
  t.equal(judge([], false, commit(T)), null, 'unsigned without the policy');
  t.match(judge([], true, commit(T)), /found an unsigned commit/);
  t.equal(judge([], false), null, 'an unknown key without the policy');
  t.match(judge([], true), /found one by unknown key SHA256:/);
  t.equal(judge([registered(jane.key, 'tom')], false), null, "another principal's key without the policy");
  t.match(judge([registered(jane.key, 'tom')], true), /of another principal \(tom\)/);
  const bytes = new Uint8Array(signed);
  bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1; // the message, after signing
  t.match(judge([registered(jane.key, 'jane')], false, bytes), /found a bad signature \(bad-signature\)/);
  t.equal(
    judge([registered(tom.key, 'jane')], true, signCommit(commit(T), tom.privateKey)),
    null,
    'whichever key the pusher registered',
  );
});

t.test('revocation and windows: commit time and server time both count', async (t) => {
  const jane = pair();
  const signed = signCommit(commit(T), jane.privateKey);
  const judge = (more: Partial<RegisteredKey>, now: number) =>
    commitSignatureFinding(signed, T, ctx([registered(jane.key, 'jane', more)], false, now))?.message ?? null;
  t.equal(judge({ revoked_at: T + 3600 }, T + 60), null, 'revoked later: accepted before the revocation');
  t.match(judge({ revoked_at: T + 3600 }, T + 3600), /revoked at/, "from the revocation's second on, refused");
  t.match(
    judge({ revoked_at: T + 3600 }, T + 7200),
    /revoked at/,
    'a commit dated before the revocation, pushed after it',
  );
  t.match(judge({ valid_before: T - 1 }, T + 60), /valid at the commit time .* outside its validity/);
  t.match(
    judge({ valid_before: T + 30 }, T + 60),
    /valid at the server time .* outside its validity/,
    'expired at push time, whatever the commit says',
  );
  t.match(judge({ valid_after: T + 1 }, T + 60), /valid at the commit time/);
  t.equal(judge({ valid_after: T, valid_before: T + 60 }, T + 60), null, 'both ends included');
});

t.test('offline status against an allowed signers file', async (t) => {
  const jane = pair();
  const signed = signCommit(commit(T), jane.privateKey);
  t.match(signatureStatus(commit(T), T, []), { status: 'unsigned' });
  t.match(signatureStatus(signed, T, []), { status: 'unknown' });
  t.match(signatureStatus(signed, T, [{ principal: 'jane', key: jane.key, namespaces: ['git'] }]), {
    status: 'good',
    principal: 'jane',
  });
  t.match(signatureStatus(signed, T, [{ principal: 'jane', key: jane.key, validBefore: T - 1 }]), {
    status: 'bad',
    reason: /outside its validity/,
  });
  t.match(signatureStatus(signed, T, [{ principal: 'jane', key: jane.key, namespaces: ['file'] }]), { status: 'bad' });
});
