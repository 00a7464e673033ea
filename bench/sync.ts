// Benchmark: one sync round over many shared records, (1) with nothing new and (2) with one new
// message in each record, per record, against a plain `git fetch` of the same repositories from
// the same peer in the same run.
// Usage: node dist/bench/sync.js [records]

import { CoordinationService } from '../index.js';
import type { RecordId } from '../core/ids.js';
import { runGit } from '../git/run.js';
import { RecordHandle } from '../service/record.js';
import { syncRecord } from '../sync/round.js';
import type { Peer } from '../sync/peers.js';
import { TOKEN, author, benchServer, body, jane, place } from './fixtures.js';
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
  const { createRecord } = await import('../service/initialise.js');
  const made = await createRecord(
    {
      path: (id) => a.context.records.path(id),
      bare: true,
      author,
      careLocation: place,
      clinicalId: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12',
    },
    (staging) => new CoordinationService(staging).createThread(author, place, [jane as never]),
  );
  ids.push(made.handle.id);
  threads.push(made.then!);
  await syncRecord(ctx, (await a.context.records.open(made.handle.id))!, peer, made.handle.id);
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
