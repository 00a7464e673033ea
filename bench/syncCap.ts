// Benchmark: what a peer's oversized answer costs a site. A peer's record gains, past its hook, a
// commit with a large blob of random bytes (300 MB by default); a sync round here fetches it. The
// fetch is cut off at the push cap (256 MiB) and refused: printed are the outcome, the round's time
// and what the record holds on disk before and after (nothing of the blob may stay).
// Usage: node dist/bench/syncCap.js [megabytes] (under 256 the fetch is not cut off: it is refused by the rules instead)

import { randomBytes } from 'node:crypto';
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import type { RecordId } from '../core/ids.js';
import { syncRecord } from '../sync/round.js';
import { apiRecord, benchServer, gitCli, TOKEN } from './fixtures.js';
import { report, scratch, time } from './util.js';

const mb = Number(process.argv[2] ?? 300);
const dir = scratch('sync-cap');
const a = await benchServer(`${dir}/a`);
const b = await benchServer(`${dir}/b`);
const rec = await apiRecord(a);
const peer = { name: 'b', url: b.url, user: 'admin', token: TOKEN, records: 'all' as const };
const ctx = { gitEnv: a.context.gitEnv, timeoutMs: 600_000, maxFetchBytes: a.context.options.maxPushBytes };
const repoA = (await a.context.records.open(rec.id as RecordId))!;
const first = await syncRecord(ctx, repoA, peer, rec.id as RecordId);
if (first.outcome !== 'created-at-peer') throw new Error(`first round: ${first.outcome} ${first.detail ?? ''}`);

const bytesUnder = (d: string): number =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? bytesUnder(`${d}/${e.name}`) : statSync(`${d}/${e.name}`).size),
    0,
  );
process.stderr.write(`  writing a ${mb} MB blob into B's record, past its hook\n`);
const gitdirB = b.context.records.path(rec.id as RecordId);
const work = `${dir}/work`;
await gitCli('/', ['clone', '-q', gitdirB, work]);
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(`${work}/big.bin`);
  out.on('error', reject);
  out.on('finish', resolve);
  let left = mb;
  const more = () => {
    while (left > 0) {
      left--;
      if (!out.write(randomBytes(1_000_000))) return void out.once('drain', more);
    }
    out.end();
  };
  more();
});
await gitCli(work, ['add', 'big.bin']);
await gitCli(work, ['commit', '-q', '-m', 'coordination:update: Added message to thread\n\nCare-Location: B']);
await gitCli(gitdirB, ['--git-dir', gitdirB, 'fetch', '-q', work, '+main:refs/heads/main']);

const before = bytesUnder(repoA.gitdir);
let outcome = '';
let detail = '';
const took = await time(async () => {
  const r = await syncRecord(ctx, repoA, peer, rec.id as RecordId);
  outcome = r.outcome;
  detail = r.detail ?? '';
});
const after = bytesUnder(repoA.gitdir);
await a.close();
await b.close();
console.log(`a ${mb} MB blob offered by a peer, push cap ${ctx.maxFetchBytes} bytes: ${outcome}`);
console.log(`  ${detail}`);
report('round', took, 'ms');
report('record on disk before the round', before / 1024, 'KiB');
report('record on disk after the round', after / 1024, 'KiB');
report('kept of what the peer sent', (after - before) / (1024 * 1024), 'MiB');
