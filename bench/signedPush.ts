// Benchmark: a validated, signed push vs the same unsigned push (issue 14: ≤ 1.15×). Two records on
// one server, one message per push, pushes interleaved (signed, unsigned, signed, …) so drift of
// the machine hits both alike; the signed commits carry an Ed25519 signature by a key registered to
// the pusher, so the push is checked in full (signature, key look-up, window). Both pushes get a
// signed receipt. A third lane with no hook at all gives the receipt's and the hook's share.
// Usage: node dist/bench/signedPush.js [pushes per lane]

import { request } from 'node:http';
import { formatPublicKey, publicKeyFromKeyObject } from '../core/ssh/keys.js';
import { newEd25519Key } from '../core/ssh/privateKey.js';
import { keySigner } from '../git/signers.js';
import { apiRecord, benchServer, commitChain, gitCli, noHookEnv, TOKEN } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 60);
const dir = scratch('signed-push');
const server = await benchServer(`${dir}/data`, { validatorThreads: 2 });
const ctx = server.context;
const validated = ctx.gitEnv;
const noHook = await noHookEnv(server, dir);

// The admin's key, registered through the API.
const key = newEd25519Key();
const pub = publicKeyFromKeyObject(key);
if (!pub.ok) throw new Error(pub.reason);
await new Promise<void>((resolve, reject) => {
  const req = request(
    `${server.url}/api/principals/admin/keys`,
    {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`key: ${res.statusCode}`))));
    },
  );
  req.on('error', reject);
  req.end(JSON.stringify({ public_key: formatPublicKey(pub.key) }));
});

type Lane = 'unsigned' | 'signed' | 'unsigned, no hook';
const lanes: Lane[] = ['unsigned', 'signed', 'unsigned, no hook'];
process.stderr.write('  preparing records and commits\n');
const chains = new Map<Lane, { url: string; dir: string; chain: string[]; next: number }>();
for (const [i, lane] of lanes.entries()) {
  const rec = await apiRecord(server);
  const clone = `${dir}/clone-${i}`;
  chains.set(lane, {
    url: rec.url,
    dir: clone,
    chain: await commitChain(rec.url, clone, rec.thread, n + 3, lane === 'signed' ? keySigner(key) : undefined),
    next: 0,
  });
}
const times = new Map<Lane, number[]>(lanes.map((l) => [l, []]));
const pushOne = (lane: Lane) => {
  ctx.gitEnv = lane === 'unsigned, no hook' ? noHook : validated;
  const c = chains.get(lane)!;
  return time(() => gitCli(c.dir, ['push', '-q', c.url, `${c.chain[c.next++]}:refs/heads/main`]));
};
for (let i = 0; i < 3; i++) for (const l of lanes) await pushOne(l);
for (let i = 0; i < n; i++) for (const l of lanes) times.get(l)!.push(await pushOne(l));
ctx.gitEnv = validated;
await server.close();

console.log(`one-message push over HTTP, validated, median of ${n} (ms)`);
const unsigned = { name: 'unsigned', value: median(times.get('unsigned')!) };
report('push, unsigned, no hook', median(times.get('unsigned, no hook')!), 'ms');
report('push, unsigned (validated, with receipt)', unsigned.value, 'ms', {
  name: 'no hook',
  value: median(times.get('unsigned, no hook')!),
});
report('push, signed (validated, key checked, with receipt)', median(times.get('signed')!), 'ms', unsigned);
