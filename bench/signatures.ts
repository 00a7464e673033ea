// Benchmark: what checking a commit's SSH signature costs in process. The same one-message commit
// (written by the service into a 10-message thread), unsigned and signed, in one run: parsing it
// unsigned (the floor), judging it by the rules as the pre-receive pipeline does (warm caches, as
// on a validator thread), and verifying its signature for each key type; then signing one.
// The push policy built on this must keep a validated signed push within 1.15× an unsigned one.
// Usage: node dist/bench/signatures.js [iterations]

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { CoordinationService } from '../index.js';
import { newUuid, type ParticipantId } from '../core/ids.js';
import { EvaluationCache, evaluateCommit } from '../core/evaluate.js';
import { parseCommit, type Oid } from '../core/objects.js';
import {
  addCommitSignature,
  extractCommitSignature,
  signCommit,
  verifyCommitSignature,
} from '../core/ssh/commitSignature.js';
import { parsePublicKey, publicKeyFromKeyObject, type SshPublicKey } from '../core/ssh/keys.js';
import { appendMany, author, body, place } from './fixtures.js';
import { report, scratch } from './util.js';

const n = Number(process.argv[2] ?? 3000);
const jane = {
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as ParticipantId,
  role: 'clinician' as const,
  display_name: 'Dr Jane Smith',
};

/** Microseconds per call: the median of batch means, after a warm-up batch. */
async function perCall(fn: () => unknown, calls: number): Promise<number> {
  const batch = 100;
  const means: number[] = [];
  for (let done = -batch; done < calls; done += batch) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    if (done >= 0) means.push(((performance.now() - started) * 1000) / batch);
  }
  means.sort((a, b) => a - b);
  return means[means.length >> 1]!;
}

process.stderr.write('  preparing a record and a one-message commit\n');
const dir = scratch('signatures');
const svc = await CoordinationService.new({ dataDir: `${dir}/data` }).initialise(author, place, newUuid());
const thread = await svc.createThread(author, place, [jane]);
await appendMany(svc, thread, 10);
await svc.addMessage(author, place, thread, { author: { id: jane.participant_id, name: jane.display_name }, body });
const repo = svc.record.repo;
const head = (await repo.head())! as Oid;
const unsigned = (await repo.source.read(head))!.content;

// Signed copies of the same commit: by the site's Ed25519 key here, and by ssh-keygen for the others.
const site = generateKeyPairSync('ed25519').privateKey;
const siteKey = publicKeyFromKeyObject(site);
if (!siteKey.ok) throw new Error(siteKey.reason);
const signed: Array<[string, Uint8Array, SshPublicKey]> = [['ed25519', signCommit(unsigned, site), siteKey.key]];
writeFileSync(`${dir}/payload`, extractCommitSignature(unsigned).payload);
for (const [name, t, b] of [
  ['ecdsa-p256', 'ecdsa', '256'],
  ['rsa-3072', 'rsa', '3072'],
] as const) {
  execFileSync('ssh-keygen', ['-q', '-t', t, '-b', b, '-N', '', '-f', `${dir}/${name}`]);
  execFileSync('ssh-keygen', ['-Y', 'sign', '-n', 'git', '-f', `${dir}/${name}`, `${dir}/payload`], {
    stdio: 'ignore',
  });
  const key = parsePublicKey(readFileSync(`${dir}/${name}.pub`, 'utf8'));
  if (!key.ok) throw new Error(key.reason);
  signed.push([name, addCommitSignature(unsigned, readFileSync(`${dir}/payload.sig`, 'utf8')), key.key]);
  execFileSync('rm', ['-f', `${dir}/payload.sig`]);
}
for (const [name, content, key] of signed)
  if (!verifyCommitSignature(content, { key }).ok) throw new Error(`${name}: the signature does not verify`);

const cache = new EvaluationCache();
const context = { recordId: svc.coordinationId, now: Date.now(), cache };
const findings = await evaluateCommit(repo.source, head, context);
if (findings.length) throw new Error(`the commit does not pass the rules: ${findings[0]!.message}`);

const parse = await perCall(() => parseCommit(unsigned), n);
const judge = await perCall(() => evaluateCommit(repo.source, head, context), n / 4);
const verify = new Map<string, number>();
for (const [name, content, key] of signed)
  verify.set(name, await perCall(() => verifyCommitSignature(content, { key }), name === 'rsa-3072' ? n / 4 : n));
const sign = await perCall(() => signCommit(unsigned, site), n);

console.log(`one-message commit (${unsigned.length} bytes unsigned), µs per call, median of batches`);
report('parse the commit, unsigned', parse, 'µs');
report('judge the commit by the rules (warm caches)', judge, 'µs', { name: 'parse', value: parse });
for (const [name, us] of verify)
  report(`verify its ${name} signature (extract, parse, verify)`, us, 'µs', { name: 'parse', value: parse });
const ed = verify.get('ed25519')!;
report('judge + verify ed25519', judge + ed, 'µs', { name: 'judge alone', value: judge });
report("sign it with the site's ed25519 key", sign, 'µs');
console.log(
  `an ed25519 check adds ${(ed / 1000).toFixed(3)} ms per pushed commit; a validated one-message push takes ~32–42 ms (bench/push.js)`,
);
