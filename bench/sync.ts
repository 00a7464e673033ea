// Benchmark: one sync round over many shared records, (1) with nothing new and (2) with one new
// message in each record, per record, against a plain `git fetch` of the same repositories from
// the same peer in the same run.
// Usage: node dist/bench/sync.js [records]

import { CoordinationService } from '../index.js';
import { parseRecordId, type RecordId } from '../core/ids.js';
import { runGit } from '../git/run.js';
import { RecordHandle } from '../service/record.js';
import { syncRecord } from '../sync/round.js';
import type { Peer } from '../sync/peers.js';
import { TOKEN, apiRecord, author, benchServer, body, jane, place } from './fixtures.js';
import { progress, report, scratch, time } from './util.js';

const count = Number(process.argv[2] ?? 1000);
const dir = scratch('sync');
const a = await benchServer(`${dir}/a`);
const b = await benchServer(`${dir}/b`);
const peer: Peer = { name: 'b', url: b.url, user: 'admin', token: TOKEN, records: 'all' };
const ctx = { gitEnv: a.context.gitEnv, timeoutMs: 60_000, maxFetchBytes: a.context.options.maxPushBytes };
const ids: RecordId[] = [];
const threads: string[] = [];
process.stderr.write(`  creating ${count} records at A and their copies at B\n`);
for (let i = 0; i < count; i++) {
  // Made through the API as a site's users make them: the peer re-creates the first commit byte
  // for byte from what it is told, which a record made by hand with another committer would fail.
  const made = await apiRecord(a);
  const id = parseRecordId(made.id)!;
  ids.push(id);
  threads.push(made.thread);
  const first = await syncRecord(ctx, (await a.context.records.open(id))!, peer, id);
  if (!['pushed', 'created-at-peer'].includes(first.outcome))
    throw new Error(`${id}: ${first.outcome} ${first.detail ?? ''}`);
  progress('records', i + 1, count);
}

/** Time a round over every record, and a plain fetch of every record from the peer. */
async function measure(): Promise<{ round: number; fetch: number }> {
  const round = await time(async () => {
    for (const id of ids) {
      const r = await syncRecord(ctx, (await a.context.records.open(id))!, peer, id);
      if (!['in-sync', 'pushed'].includes(r.outcome)) throw new Error(`${id}: ${r.outcome} ${r.detail ?? ''}`);
    }
  });
  const url = new URL(b.url);
  url.username = 'admin';
  url.password = TOKEN;
  const fetch = await time(async () => {
    for (const id of ids) {
      const gitdir = a.context.records.path(id);
      await runGit(
        [
          '--git-dir',
          gitdir,
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-write-fetch-head',
          `${url.toString().replace(/\/$/, '')}/coordination/${id}.git`,
          '+refs/heads/main:refs/bench/fetched',
        ],
        { env: ctx.gitEnv },
      );
    }
  });
  return { round: round / count, fetch: fetch / count };
}

const idle = await measure();
process.stderr.write(`  adding one message to each record at A\n`);
for (const [i, id] of ids.entries()) {
  const svc = new CoordinationService(new RecordHandle((await a.context.records.open(id))!, id));
  await svc.addMessage(author, place, threads[i]!, {
    author: { id: jane.participant_id, name: jane.display_name },
    body,
  });
}
const busy = await measure();
await a.close();
await b.close();
console.log(`one sync round over ${count} shared records, per record (ms)`);
report('round, nothing new', idle.round, 'ms', { name: 'git fetch', value: idle.fetch });
report('round, one new message in each record (pushed)', busy.round, 'ms', { name: 'git fetch', value: busy.fetch });
