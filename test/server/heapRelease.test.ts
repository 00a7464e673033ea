// The main thread's release of memory after a burst (server/heapRelease.ts): once no request has
// been in flight for a while and the heap has grown, one compacting collection gives back the
// pages of what died. Real heaps: this test process's own, fragmented on purpose.

import t from 'tap';
import { Worker } from 'node:worker_threads';
import { HeapGrowth, IdleRelease } from '../../server/heapRelease.js';
import { threadOptions } from '../../server/workerPool.js';
import type { Logger } from '../../server/log.js';
import { root } from '../helpers/fixtures.js';
import { fragment, heapSpace } from '../helpers/fragment.js';
import { testServer } from '../helpers/server.js';

/** A logger that keeps the events it is given. */
function kept(): { log: Logger; events: Array<{ event: string; fields: Record<string, unknown> }> } {
  const events: Array<{ event: string; fields: Record<string, unknown> }> = [];
  return { log: (_level, event, fields = {}) => events.push({ event, fields }), events };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('quiet after its heap grew, the main thread compacts it once and logs it', async (t) => {
  const { log, events } = kept();
  const idle = new IdleRelease(log, 200, 4 * 1024 * 1024);
  t.teardown(() => idle.stop());
  idle.started();
  const survivors = await fragment();
  idle.ended(0);
  await sleep(600);
  const released = events.filter((e) => e.event === 'memory-released');
  t.equal(released.length, 1, 'one compaction');
  const { heap_before: before, heap_after: after } = released[0]!.fields as { heap_before: number; heap_after: number };
  t.ok(after < before, `heap ${before} bytes before, ${after} after`);
  const old = heapSpace('old_space')!;
  t.ok(old.space_size - old.space_used_size < old.space_used_size / 4, 'the old space holds little but what lives');
  t.equal(survivors.length, 300_000, 'what lives is kept');
  idle.started();
  idle.ended(0);
  await sleep(400);
  t.equal(events.length, 1, 'not again while the heap has not grown since');
});

t.test('a request in flight, or one that comes in meanwhile, puts the compaction off', async (t) => {
  const { log, events } = kept();
  const idle = new IdleRelease(log, 200, -Infinity); // whatever the heap did meanwhile
  t.teardown(() => idle.stop());
  idle.started();
  idle.started();
  idle.ended(1);
  await sleep(400);
  t.equal(events.length, 0, 'not while a request is in flight');
  idle.ended(0);
  await sleep(100);
  idle.started();
  await sleep(300);
  t.equal(events.length, 0, 'a request that came in put it off');
  idle.ended(0);
  await sleep(400);
  t.equal(events.length, 1, 'quiet again: it runs');
});

t.test('growth after the last answer still brings a compaction (work a landed push leaves behind)', async (t) => {
  const { log, events } = kept();
  const idle = new IdleRelease(log, 1500);
  t.teardown(() => idle.stop());
  idle.started();
  idle.ended(0); // nothing grown yet
  const survivors = await fragment();
  await sleep(2000);
  t.equal(events.filter((e) => e.event === 'memory-released').length, 1);
  t.equal(survivors.length, 300_000);
});

t.test(
  'growth counts from the smallest size seen: a heap V8 shrank by itself is not held to its old size',
  async (t) => {
    const sizes = [100, 95, 104, 105, 60];
    const heap = new HeapGrowth(10, () => sizes.shift()!);
    t.equal(heap.compact(), null, '95: shrunk, not grown');
    t.equal(heap.compact(), null, '104: 9 above the smallest');
    t.same(heap.compact(), { before: 105, after: 60 }, '105: 10 above the smallest, compacted');
    t.equal(heap.compactions, 1);
  },
);

t.test('without growth of its heap nothing runs: a health check now and then costs no pause', async (t) => {
  const { log, events } = kept();
  const idle = new IdleRelease(log, 100, 1024 * 1024 * 1024);
  t.teardown(() => idle.stop());
  for (let i = 0; i < 3; i++) {
    idle.started();
    idle.ended(0);
    await sleep(200);
  }
  t.equal(events.length, 0);
});

t.test('a server compacts its main heap once its requests are done and it has grown', async (t) => {
  const s = await testServer(t, { memoryReleaseMs: 300 });
  const survivors = await fragment();
  t.equal((await fetch(`${s.url}/healthz`)).status, 200);
  await sleep(1000);
  const released = s.logs.map((l) => JSON.parse(l) as { event: string }).filter((e) => e.event === 'memory-released');
  t.equal(released.length, 1, 'logged once, as a structured event');
  t.equal(survivors.length, 300_000);
});

t.test('threads compacting for the first time at once: none throws (the gc flag is process-wide)', async (t) => {
  const outcomes: unknown[] = [];
  for (let round = 0; round < 12; round++) {
    const go = new SharedArrayBuffer(4);
    const threads = Array.from(
      { length: 4 },
      () =>
        new Worker(new URL(`file://${root}/dist/test/helpers/compactWorker.js`), {
          workerData: go,
          ...threadOptions(process.execArgv, process.env), // without tap's preloads
        }),
    );
    const answers = threads.map((w) => new Promise((r) => w.once('message', r)));
    await Promise.all(threads.map((w) => new Promise((r) => w.once('online', r))));
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    outcomes.push(...(await Promise.all(answers)));
    await Promise.all(threads.map((w) => w.terminate()));
  }
  t.same(
    outcomes.filter((o) => typeof o !== 'boolean'),
    [],
    'every thread answered true or false',
  );
  t.ok(outcomes.includes(true), 'and compactions ran');
});
