// A test process that is ended from outside (as tap ends one past its time-out, with SIGALRM and
// then SIGKILL) leaves no server running and no temporary folder behind (test/helpers/reaper.ts).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { root } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Wait for a condition, up to `ms`. */
async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (ok()) return true;
  return ok();
}

// SIGKILL: nothing runs in the test process. SIGALRM, then SIGKILL half a second later: what tap
// does to a test file past its time-out. SIGTERM: what a CI runner sends.
for (const signals of [['SIGKILL'], ['SIGALRM', 'SIGKILL'], ['SIGTERM']] as const) {
  t.test(
    `a test process ended by ${signals.join(' then ')} leaves no server and no folder behind`,
    { timeout: 120_000 },
    async (t) => {
      const info = `${tempDir(t)}/info.json`;
      const env = { ...process.env, CCR_ABANDONED_INFO: info };
      const child = spawn(process.execPath, [`${root}/dist/test/helpers/abandoned.js`], {
        cwd: root,
        env,
        stdio: 'ignore',
      });
      const ended = new Promise((r) => child.on('close', r));
      t.teardown(() => child.kill('SIGKILL'));
      t.ok(
        await until(() => existsSync(info) && readFileSync(info, 'utf8').length > 0, 60_000),
        'the test started its server',
      );
      const { pid, data } = JSON.parse(readFileSync(info, 'utf8')) as { pid: number; data: string };
      t.ok(alive(pid) && existsSync(data), 'which runs, with its data folder');
      for (const signal of signals) {
        child.kill(signal);
        if (await until(() => child.exitCode !== null || child.signalCode !== null, 500)) break;
      }
      await ended;
      t.ok(await until(() => !alive(pid), 15_000), 'the server is gone');
      t.ok(await until(() => !existsSync(data), 15_000), 'and so is its folder');
    },
  );
}
