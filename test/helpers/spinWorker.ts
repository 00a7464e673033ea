// A worker for the pool tests: spins the CPU for `ms` (as a slow parse would), with `zlib` by
// inflating or deflating a byte over and over (as a read of many small objects would), or with
// `sleep` holds its thread that long without the CPU; then gives `tag`. With `cpu`, it spins
// until its thread has used `ms` of the CPU (a busy machine stretches that over more time) and
// gives `tag` and the ms that took. With `report`, it gives the options its thread started with.

import { deflateSync, inflateSync } from '../../git/zlib.js';
import { kernelThreadId, serveJobs, threadCpuMs } from '../../server/workerPool.js';

const byte = Buffer.from('x');
let deflated: Buffer | undefined;

/** A job: see above. */
export type Spin = {
  tag: string;
  ms: number;
  sleep?: boolean;
  cpu?: boolean;
  /** With `cpu`: a wait of this many ms after each ms of CPU (as a job sharing a busy machine waits). */
  pauseMs?: number;
  zlib?: 'inflate' | 'deflate';
  report?: boolean;
};

/** CPU time this thread has used, ms (Linux; the pool's own reading). */
const tid = kernelThreadId();
const cpuMs = () => (tid === undefined ? NaN : (threadCpuMs(tid) ?? NaN));

serveJobs(async (input: Spin) => {
  if (input.report) return JSON.stringify({ execArgv: process.execArgv, nodeOptions: process.env['NODE_OPTIONS'] });
  if (input.sleep) {
    await new Promise((r) => setTimeout(r, input.ms));
    return input.tag;
  }
  if (input.cpu) {
    const [from, started] = [cpuMs(), performance.now()];
    for (let step = 1; step <= input.ms; step++) {
      while (cpuMs() - from < step);
      if (input.pauseMs) await new Promise((r) => setTimeout(r, input.pauseMs));
    }
    return `${input.tag} ${Math.round(performance.now() - started)}`;
  }
  const until = Date.now() + input.ms;
  while (Date.now() < until) {
    if (input.zlib === 'inflate') inflateSync((deflated ??= deflateSync(byte)));
    else if (input.zlib === 'deflate') deflateSync(byte);
  }
  return input.tag;
});
