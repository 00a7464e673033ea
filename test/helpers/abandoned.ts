// A test that never ends, for test/reliability/cleanup.test.ts: it starts `ccr serve` (leading a
// process group, with its git children) and makes a temporary folder, writes where they are to
// the file named by CCR_ABANDONED_INFO, and waits until it is killed, as tap kills a test that
// runs past its time-out.

import { writeFileSync } from 'node:fs';
import t from 'tap';
import { serveProcess } from './process.js';
import { ADMIN_TOKEN } from './server.js';
import { tempDir } from './tmp.js';

t.test('runs until it is killed', async (t) => {
  const data = tempDir(t);
  const server = await serveProcess(['--data', data, '--port', '0'], { CCR_ADMIN_TOKEN: ADMIN_TOKEN }, undefined, true);
  writeFileSync(process.env['CCR_ABANDONED_INFO']!, JSON.stringify({ pid: server.child.pid, data }));
  await new Promise(() => undefined);
});
