// A test process that is killed (as tap kills one past its time-out, with SIGALRM and then
// SIGKILL) leaves no server running and no temporary folder behind (test/helpers/reaper.ts).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { root } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Wait for a condition, up to `ms`. */
async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (ok()) return true;
  return ok();
}

for (const [how, command] of [
  ['killed with SIGKILL', [process.execPath, `${root}/dist/test/helpers/abandoned.js`]],
  ['ended by tap past its time-out', [process.execPath, `${root}/node_modules/.bin/tap`, '--timeout', '20', '--reporter', 'tap', 'dist/test/helpers/abandoned.js']],
] as const) {
  t.test(`a test process ${how} leaves no server and no folder behind`, { timeout: 120_000 }, async (t) => {
    const info = `${tempDir(t)}/info.json`;
    const child = spawn(command[0], command.slice(1), { cwd: root, env: { ...process.env, CCR_ABANDONED_INFO: info }, stdio: 'ignore' });
    const ended = new Promise((r) => child.on('close', r));
    t.teardown(() => child.kill('SIGKILL'));
    t.ok(await until(() => existsSync(info) && readFileSync(info, 'utf8').length > 0, 60_000), 'the test started its server');
    const { pid, data } = JSON.parse(readFileSync(info, 'utf8')) as { pid: number; data: string };
    t.ok(alive(pid) && existsSync(data), 'which runs, with its data folder');
    if (how === 'killed with SIGKILL') child.kill('SIGKILL');
    await ended;
    t.ok(await until(() => !alive(pid), 15_000), 'the server is gone');
    t.ok(await until(() => !existsSync(data), 15_000), 'and so is its folder');
  });
}
