// A worker for the pool tests: spins the CPU for `ms` (as a slow parse would), with `zlib` by
// inflating or deflating a byte over and over (as a read of many small objects would), or with
// `sleep` holds its thread that long without the CPU; then gives `tag`. With `report`, it gives
// the options its thread started with.

import { deflateSync, inflateSync } from '../../git/zlib.js';
import { serveJobs } from '../../server/workerPool.js';

const byte = Buffer.from('x');
let deflated: Buffer | undefined;

type Spin = { tag: string; ms: number; sleep?: boolean; zlib?: 'inflate' | 'deflate'; report?: boolean };

serveJobs(async (input: Spin) => {
  if (input.report) return JSON.stringify({ execArgv: process.execArgv, nodeOptions: process.env['NODE_OPTIONS'] });
  if (input.sleep) {
    await new Promise((r) => setTimeout(r, input.ms));
    return input.tag;
  }
  const until = Date.now() + input.ms;
  while (Date.now() < until) {
    if (input.zlib === 'inflate') inflateSync((deflated ??= deflateSync(byte)));
    else if (input.zlib === 'deflate') deflateSync(byte);
  }
  return input.tag;
});
