// The worker pool shared by the validator and the reader: a budget that ends the thread, a queue
// bounded in all and per owner, and owners served in turn.

import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { Unavailable } from '../../core/errors.js';
import { silentLogger } from '../../server/log.js';
import { closeGate, deflateSync, GATE_KEY, inflateSync, newGate } from '../../git/zlib.js';
import {
  endThread,
  HELD_WALL_FACTOR,
  IDLE_END_MS,
  IDLE_RELEASE_MS,
  threadCpuMs,
  threadOptions,
  WorkerPool,
} from '../../server/workerPool.js';
import { root } from '../helpers/fixtures.js';
import type { Spin } from '../helpers/spinWorker.js';

function pool(
  threads: number,
  budgetMs = 60_000,
  maxQueued = 100,
  maxQueuedPerOwner = 100,
  more: { eager?: boolean; extraAfterMs?: number } = {},
) {
  return new WorkerPool<Spin, string>({
    ...more,
    module: new URL(`file://${root}/dist/test/helpers/spinWorker.js`),
    name: 'test pool',
    log: silentLogger,
    threads,
    budgetMs,
    maxQueued,
    maxQueuedPerOwner,
    overBudget: (i) => `over budget: ${i.tag}`,
    turnedAway: (i) => {
      throw new Unavailable(`turned away: ${i.tag}`);
    },
  });
}

t.test('a job past its budget is answered and its thread replaced; the next job runs', async (t) => {
  const p = pool(1, 500);
  t.teardown(() => p.close());
  t.equal(await p.run({ tag: 'quick', ms: 0 }, 'a', 'r'), 'quick');
  t.equal(
    await p.run({ tag: 'endless', ms: 3_600_000 }, 'a', 'r'),
    'over budget: endless',
    'a job past its budget is not waited on',
  );
  t.equal(await p.run({ tag: 'after', ms: 0 }, 'a', 'r'), 'after', 'a new thread took its place');
});

t.test('a thread ended in the middle of zlib calls does not abort the process', async (t) => {
  // Node 20 aborts the process when a thread ends between a zlib handle's making and its init.
  // Without the gate (git/zlib.ts) this loop, ending threads as the pool does, brought it about
  // within a few dozen ends.
  const module = new URL(`file://${root}/dist/test/helpers/spinWorker.js`);
  for (let i = 0; i < 80; i++) {
    const gate = newGate();
    const worker = new Worker(module, {
      workerData: { [GATE_KEY]: gate },
      ...threadOptions(process.execArgv, process.env),
    });
    worker.on('error', () => undefined);
    await new Promise((r) => worker.once('message', r)); // ready
    const zlib = i % 2 === 0 ? 'inflate' : 'deflate';
    worker.postMessage({ id: 1, input: { tag: zlib, ms: 3_600_000, zlib } });
    await new Promise((r) => setTimeout(r, 5 + (i % 7) * 3));
    await endThread({ worker, gate });
  }
  t.pass('80 threads ended mid-call, and the process is still here');
  // The pool ends threads so: past a budget, and at close.
  const p = pool(1, 30, 100, 100, { eager: true });
  t.teardown(() => p.close());
  for (const zlib of ['inflate', 'deflate'] as const)
    t.equal(await p.run({ tag: zlib, ms: 3_600_000, zlib }, 'a', 'r'), `over budget: ${zlib}`);
  const q = pool(1, 60_000, 100, 100, { eager: true });
  const job = q.run({ tag: 'closed', ms: 3_600_000, zlib: 'inflate' }, 'a', 'r').catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 500));
  await q.close();
  t.type(await job, Unavailable, 'a job in a zlib loop at close is refused, its thread ended');
});

t.test('a closed gate: a zlib call does not start, and the thread gets out of its job', async (t) => {
  const gate = newGate();
  const worker = new Worker(new URL(`file://${root}/dist/test/helpers/spinWorker.js`), {
    workerData: { [GATE_KEY]: gate },
    ...threadOptions(process.execArgv, process.env),
  });
  t.teardown(() => worker.terminate());
  const next = () => new Promise<{ ready?: true; error?: string }>((resolve) => worker.once('message', resolve));
  t.ok((await next()).ready, 'the thread is ready');
  const answer = next();
  worker.postMessage({ id: 1, input: { tag: 'loop', ms: 3_600_000, zlib: 'inflate' } });
  await new Promise((r) => setTimeout(r, 100));
  await closeGate(gate, () => false);
  t.match((await answer).error, /this thread is being ended: no zlib call starts/);
  t.equal(inflateSync(deflateSync(Buffer.from('main'))).toString(), 'main', 'the main thread has no gate');
  const stuck = newGate();
  new Int32Array(stuck)[0] = 1; // a call inside, in a thread that ended there
  let gone = false;
  const closing = closeGate(stuck, () => gone);
  await new Promise((r) => setTimeout(r, 20));
  let closed = false;
  void closing.then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 20));
  t.notOk(closed, 'a call inside is waited for');
  gone = true;
  await closing;
  t.pass('until its thread is gone');
});

t.test("a thread starts without the process's preloads", async (t) => {
  t.strictSame(
    threadOptions(
      [
        '--import=./a.js',
        '--enable-source-maps',
        '--require',
        'b',
        '-r',
        'c',
        '--max-semi-space-size=2',
        '--conditions',
        'dev',
        '--unhandled-rejections=strict',
      ],
      { NODE_OPTIONS: '--import=./d.js', PATH: '/bin' },
    ),
    {
      execArgv: ['--enable-source-maps', '--conditions', 'dev', '--unhandled-rejections=strict'],
      env: { PATH: '/bin' },
    },
  );
  // Node refuses V8's options and the process's in a thread's own execArgv: a pool in a process
  // started with them (`npm start` gives --max-semi-space-size) still runs its jobs.
  const child = spawnSync(
    process.execPath,
    [
      '--max-semi-space-size=2',
      '--max-old-space-size=512',
      '--stack-size=900',
      '--enable-source-maps',
      '--input-type=module',
      '-e',
      `const { WorkerPool } = await import(${JSON.stringify(new URL('../../server/workerPool.js', import.meta.url).href)});
       const p = new WorkerPool({ module: new URL(${JSON.stringify(`file://${root}/dist/test/helpers/spinWorker.js`)}),
         name: 'p', log: () => {}, threads: 1, budgetMs: 60000, maxQueued: 1, maxQueuedPerOwner: 1, eager: true,
         overBudget: () => 'over', turnedAway: () => 'away' });
       console.log(await p.run({ tag: 'ran', ms: 0 }, 'a', 'r'));
       await p.close();`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  t.equal(child.stdout.trim(), 'ran', `a pool under V8's options: ${child.stderr}`);
  // This test process has tap's hooks on its command line; NODE_OPTIONS, set here, goes too.
  t.ok(
    process.execArgv.some((a) => a.startsWith('--import')),
    'tap preloads its hooks',
  );
  const before = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = '--no-deprecation';
  t.teardown(() => {
    if (before === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = before;
  });
  const p = pool(1);
  t.teardown(() => p.close());
  const seen = JSON.parse(await p.run({ tag: '', ms: 0, report: true }, 'a', 'r')) as {
    execArgv: string[];
    nodeOptions?: string;
  };
  t.notOk(
    seen.execArgv.some((a) => a.startsWith('--import')),
    `no preload: ${seen.execArgv.join(' ')}`,
  );
  t.ok(seen.execArgv.includes('--enable-source-maps'), 'the other options kept');
  t.equal(seen.nodeOptions, undefined);
});

t.test("owners are served in turn: one owner's queue does not hold up another", async (t) => {
  const p = pool(1);
  t.teardown(() => p.close());
  const order: string[] = [];
  const run = (owner: string, tag: string) =>
    p.run({ tag, ms: 100 }, owner, 'r').then((x) => {
      order.push(x);
    });
  const all = [run('flood', 'f1'), run('flood', 'f2'), run('flood', 'f3'), run('flood', 'f4'), run('other', 'o1')];
  await Promise.all(all);
  t.ok(order.indexOf('o1') <= 2, `the other owner's job ran second or third, not last: ${order.join(' ')}`);
});

t.test('a job withdrawn while it waits leaves the queue and never runs; a running one is not stopped', async (t) => {
  const p = pool(1);
  t.teardown(() => p.close());
  const running = new AbortController();
  const busy = p.run({ tag: 'busy', ms: 500 }, 'a', 'r', running.signal);
  const waiting = new AbortController();
  const withdrawn = p.run({ tag: 'withdrawn', ms: 0 }, 'a', 'r', waiting.signal);
  const after = p.run({ tag: 'after', ms: 0 }, 'a', 'r');
  t.equal(p.queued, 2);
  waiting.abort(new Error('the push ended'));
  running.abort(new Error('too late'));
  await t.rejects(withdrawn, { message: 'the push ended' }, 'rejects with the reason');
  t.equal(p.queued, 1, 'out of the queue at once');
  t.equal(await busy, 'busy', 'a job a thread has taken runs to its end');
  t.equal(await after, 'after', 'the next one runs');
  await t.rejects(
    p.run({ tag: 'late', ms: 0 }, 'a', 'r', waiting.signal),
    { message: 'the push ended' },
    'already aborted',
  );
  t.equal(p.queued, 0);
});

t.test('the queue is bounded in all and per owner: past it a job is turned away at once', async (t) => {
  const p = pool(1, 60_000, 5, 3);
  t.teardown(() => p.close());
  const busy = p.run({ tag: 'busy', ms: 1000 }, 'a', 'r');
  const queued = [1, 2, 3].map((i) => p.run({ tag: `a${i}`, ms: 0 }, 'a', 'r'));
  await t.rejects(
    p.run({ tag: 'a4', ms: 0 }, 'a', 'r'),
    { code: 'Unavailable', message: 'turned away: a4' },
    'an owner past its share',
  );
  const others = [p.run({ tag: 'b1', ms: 0 }, 'b', 'r'), p.run({ tag: 'c1', ms: 0 }, 'c', 'r')];
  await t.rejects(
    p.run({ tag: 'd1', ms: 0 }, 'd', 'r'),
    { code: 'Unavailable' },
    'anyone, once the whole queue is full',
  );
  t.equal(p.queued, 5);
  t.same(
    await Promise.all([busy, ...queued, ...others]),
    ['busy', 'a1', 'a2', 'a3', 'b1', 'c1'],
    'what was queued runs',
  );
});

t.test('closing refuses what is queued and in flight', async (t) => {
  const p = pool(1);
  const running = p.run({ tag: 'long', ms: 2000 }, 'a', 'r');
  const waiting = p.run({ tag: 'next', ms: 0 }, 'a', 'r');
  const refused = Promise.all([
    t.rejects(running, { code: 'Unavailable' }),
    t.rejects(waiting, { code: 'Unavailable' }),
  ]);
  await new Promise((r) => setTimeout(r, 100));
  await p.close();
  await refused;
});

type Idle = {
  released: number;
  compactions: number;
  youngBytes: number;
  oldBytes: number;
  oldUsed: number;
  kept: number;
};

function idlePool(): WorkerPool<{ fragment?: boolean } | null, Idle> {
  const none = { released: -1, compactions: -1, youngBytes: -1, oldBytes: -1, oldUsed: -1, kept: -1 };
  return new WorkerPool({
    module: new URL(`file://${root}/dist/test/helpers/idleWorker.js`),
    name: 'idle pool',
    log: silentLogger,
    threads: 1,
    budgetMs: 60_000,
    maxQueued: 10,
    maxQueuedPerOwner: 10,
    overBudget: () => none,
    turnedAway: () => none,
  });
}

t.test('a thread idle for a while lets go of memory; its young generation is small', async (t) => {
  const p = idlePool();
  t.teardown(() => p.close());
  const first = await p.run(null, 'a', 'r');
  t.equal(first.released, 0, 'not released while at work');
  t.ok(first.youngBytes <= 8 * 1024 * 1024, `young generation ${first.youngBytes} bytes, within 8 MiB`);
  await new Promise((r) => setTimeout(r, IDLE_RELEASE_MS + 1000));
  const idle = await p.run(null, 'a', 'r');
  t.equal(idle.released, 1, 'released once after going idle');
  // Its heap grew by less than RELEASE_GROWTH_BYTES: no full collection, so its optimized code,
  // made for objects that are all dead by now, is kept (heapRelease.ts HeapGrowth).
  t.equal(idle.compactions, 0, 'no compaction after a job that grew the heap by little');
});

t.test('an idle thread compacts its heap: the pages of what died are given back', async (t) => {
  const p = idlePool();
  t.teardown(() => p.close());
  const busy = await p.run({ fragment: true }, 'a', 'r');
  t.equal(busy.kept, 300_000);
  await new Promise((r) => setTimeout(r, IDLE_RELEASE_MS + 1000));
  const idle = await p.run(null, 'a', 'r');
  t.equal(idle.released, 1);
  t.equal(idle.compactions, 1, 'its heap grew: compacted once');
  t.equal(idle.kept, 300_000, 'what lives is kept');
  // A full collection without compaction frees the dead objects but keeps the pages they were
  // spread over: half of them here.
  const free = idle.oldBytes - idle.oldUsed;
  t.ok(free < idle.oldUsed / 4, `old space ${idle.oldBytes} bytes committed for ${idle.oldUsed} in use`);
  t.ok(idle.oldBytes < busy.oldBytes, `old space ${busy.oldBytes} bytes at work, ${idle.oldBytes} once idle`);
});

t.test('once every thread is idle for a while, all but one end; they start again when needed', async (t) => {
  const p = pool(2);
  t.teardown(() => p.close());
  const two = () => Promise.all([p.run({ tag: 'x', ms: 200 }, 'a', 'r1'), p.run({ tag: 'y', ms: 200 }, 'b', 'r2')]);
  t.same(await two(), ['x', 'y']);
  t.equal(p.threads, 2);
  await new Promise((r) => setTimeout(r, IDLE_END_MS + 1000));
  t.equal(p.threads, 1, 'one thread stays warm');
  t.same(await two(), ['x', 'y'], 'two jobs at once still run');
  t.equal(p.threads, 2, 'the second thread started again');
});

/**
 * Owner a's `long` job, and beside it owner b's 5 ms one: what b's gave, how long it waited,
 * whether a's had ended by then, and a's end (at the pool's close, for one that does not end).
 */
async function shortBesideLong(p: ReturnType<typeof pool>, long: Spin) {
  const started = performance.now();
  let longDone = false;
  const longEnd = p.run(long, 'a', 'r1').then(
    () => (longDone = true),
    () => undefined, // ended by the pool's close
  );
  const after = await p.run({ tag: 'after', ms: 5 }, 'b', 'r2');
  return { after, waited: performance.now() - started, longDone, longEnd };
}

/** Per-thread CPU time in /proc (Linux, a kernel that keeps it). */
const hasThreadCpu = (threadCpuMs(process.pid) ?? 0) > 0; // the main thread's id is the process's

t.test(
  'with extraAfterMs, short jobs share one thread; a job that has used that much CPU gets the next ones a thread of their own',
  { skip: !hasThreadCpu && 'no per-thread CPU time here (Linux /proc)' },
  async (t) => {
    const p = pool(2, 60_000, 100, 100, { eager: true, extraAfterMs: 300 });
    t.teardown(() => p.close());
    t.equal(p.threads, 1, 'one thread started eagerly');
    const short = Array.from({ length: 10 }, (_, i) => p.run({ tag: `s${i}`, ms: 5 }, `o${i}`, `r${i}`));
    t.same(
      await Promise.all(short),
      Array.from({ length: 10 }, (_, i) => `s${i}`),
    );
    t.equal(p.threads, 1, 'ten short jobs at once: still one thread');
    const { after, waited, longDone, longEnd } = await shortBesideLong(p, { tag: 'long', ms: 60_000, cpu: true });
    t.equal(after, 'after');
    t.ok(waited >= 300, `the short job waited while the long one used 300 ms of CPU (${waited.toFixed(0)} ms)`);
    t.notOk(longDone, 'but not for the long job: a second thread ran it');
    t.equal(p.threads, 2, 'a second thread started');
    await p.close();
    await longEnd;
  },
);

t.test(
  'with extraAfterMs, once the long job is done the jobs go back to the first thread, and the second ends while the first works on',
  { skip: !hasThreadCpu && 'no per-thread CPU time here (Linux /proc)' },
  async (t) => {
    const p = pool(2, 60_000, 100, 100, { eager: true, extraAfterMs: 100 });
    t.teardown(() => p.close());
    const long = p.run({ tag: 'long', ms: 400, cpu: true }, 'a', 'r1');
    t.equal(await p.run({ tag: 'beside', ms: 5 }, 'b', 'r2'), 'beside', 'a job beside the long one');
    t.equal(p.threads, 2, 'ran on a second thread');
    await long;
    // Short jobs one after another for longer than IDLE_END_MS: each finds the first thread free.
    const until = performance.now() + IDLE_END_MS + 1500;
    let ran = 0;
    while (performance.now() < until) {
      await p.run({ tag: 'short', ms: 20 }, 'c', `r${ran}`);
      ran++;
    }
    t.equal(p.threads, 1, `the second thread ended while the first ran ${ran} jobs`);
  },
);

t.test(
  'a job holding its thread without the CPU counts as long once it has held it HELD_WALL_FACTOR times as long',
  async (t) => {
    const p = pool(2, 60_000, 100, 100, { eager: true, extraAfterMs: 100 });
    t.teardown(() => p.close());
    const { after, waited, longEnd } = await shortBesideLong(p, { tag: 'long', ms: 60_000, sleep: true });
    t.equal(after, 'after');
    const least = hasThreadCpu ? 100 * HELD_WALL_FACTOR : 100;
    t.ok(waited >= least, `the short job waited ${least} ms (${waited.toFixed(0)} ms), not the long job's minute`);
    t.equal(p.threads, 2, 'a second thread ran it');
    await p.close();
    await longEnd;
  },
);

t.test(
  'short jobs whose runs the clock stretches past extraAfterMs (a busy machine, waits between their work) still share one thread',
  { skip: !hasThreadCpu && 'no per-thread CPU time here (Linux /proc)' },
  async (t) => {
    // 6 ms of CPU, with 8 ms of waiting after each: 48 ms or more by the clock (a timer never fires
    // early), well under the 200 ms (5 x 40) after which a job counts as long however it ran.
    const p = pool(2, 60_000, 100, 100, { eager: true, extraAfterMs: 40 });
    t.teardown(() => p.close());
    await p.run({ tag: 'warm', ms: 0 }, 'w', 'w');
    const took = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        p.run({ tag: `j${i}`, ms: 6, cpu: true, pauseMs: 8 }, `o${i}`, `r${i}`).then((r) => Number(r.split(' ')[1])),
      ),
    );
    t.ok(Math.min(...took) > 40, `each job ran past 40 ms by the clock: ${Math.min(...took)} ms at least`);
    t.equal(p.threads, 1, 'no job used 40 ms of CPU: one thread ran them all');
  },
);

t.test(
  "the thread a long job lets start is for other owners, not the long job's owner's next job, whenever they come",
  async (t) => {
    const p = pool(2, 60_000, 100, 100, { eager: true, extraAfterMs: 50 });
    t.teardown(() => p.close());
    const held = [
      p.run({ tag: 'a1', ms: 60_000, sleep: true }, 'a', 'r1').catch(() => 'ended'),
      p.run({ tag: 'a2', ms: 60_000, sleep: true }, 'a', 'r1').catch(() => 'ended'),
    ];
    // Past 5 x 50 ms the first job is long: a second thread may start, but not for 'a'.
    await new Promise((r) => setTimeout(r, 600));
    t.equal(p.queued, 1, "the long job's owner's second job still waits for the first thread");
    const other = p.run({ tag: 'b', ms: 5 }, 'b', 'r2');
    const late = new Promise<string>((r) => setTimeout(() => r('still waiting after 10 s'), 10_000).unref());
    t.equal(await Promise.race([other, late]), 'b', 'an owner coming later runs at once on the second thread');
    t.equal(p.threads, 2);
    t.equal(p.queued, 1, "and 'a' still waits");
    await p.close();
    t.same(await Promise.all(held), ['ended', 'ended']);
  },
);
