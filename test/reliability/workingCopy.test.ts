// CoordinationService in a working copy, killed with SIGKILL in the middle of its operations again
// and again: the working copy stays sound, nothing that was written is lost, nothing is written
// twice (a writer that died before it knew settles by reading the record), and the next
// operation repairs the files and index.

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { ccr } from '../helpers/cli.js';
import { root } from '../helpers/fixtures.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

const long = process.env['CCR_RELIABILITY_LONG'] === '1';
const N = long ? 300 : 40;

t.test(
  'a writer killed mid-operation leaves a sound working copy, and every message once',
  { timeout: 900_000 },
  async (t) => {
    const dataDir = tempDir(t);
    const svc = await CoordinationService.new({ dataDir }).initialise(committer, place, clinicalId);
    const thread = await svc.createThread(committer, place, [jane]);
    const dir = svc.record.repo.worktree!;
    // The writer first reads what already landed (it may have died after committing, before it
    // knew), then writes what is missing, saying so after each message.
    const script = `
    const { CoordinationService } = await import(${JSON.stringify(`${root}/dist/index.js`)});
    const [dataDir, id, thread, n] = process.argv.slice(1);
    const svc = await CoordinationService.withId({ dataDir }, id);
    const have = new Set((await svc.readThread(thread)).messages.map((m) => m.body));
    for (let i = 0; i < Number(n); i++) {
      if (have.has('message ' + i)) continue;
      await svc.addMessage({ name: 'W', email: 'w@ccr.invalid' }, 'Ward', thread, { author: { id: '${jane.participant_id}', name: '${jane.display_name}' }, body: 'message ' + i });
      process.stdout.write('wrote\\n');
    }
  `;
    let kills = 0;
    for (let done = false; !done;) {
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', script, dataDir, svc.coordinationId, thread, String(N)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      // Kill after a few messages, at a random moment within the next one (as long as the last
      // one took), so that every writer makes progress however slow the machine is.
      let timer: NodeJS.Timeout | undefined;
      const killAfter = randomInt(2, 5);
      let wrote = 0;
      let last = Date.now();
      child.stdout.on('data', (d: Buffer) => {
        const now = Date.now();
        wrote += d.toString().split('\n').length - 1;
        if (wrote >= killAfter && timer === undefined)
          timer = setTimeout(() => child.kill('SIGKILL'), randomInt(0, now - last + 1));
        last = now;
      });
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      clearTimeout(timer);
      if (code === null) kills++;
      else if (code === 0) done = true;
      else throw new Error(`the writer failed: ${stderr}`);
    }
    t.comment(`${N} messages written by a writer killed ${kills} times`);
    t.ok(kills >= 3, `killed ${kills} times`);
    t.equal((await gitRun(dir, ['fsck', '--full', '--strict', '--no-dangling'])).status, 0, 'git fsck is clean');
    const again = await CoordinationService.withId({ dataDir }, svc.coordinationId);
    await again.addMessage(committer, place, thread, { author: as(jane), body: 'after the kills' });
    t.equal(await gitOk(dir, ['status', '--porcelain']), '', 'the next operation leaves clean files and index');
    const bodies = (await again.readThread(thread)).messages.map((m) => m.body);
    t.same(
      bodies.filter((b) => b.startsWith('message ')).sort(),
      Array.from({ length: N }, (_, i) => `message ${i}`).sort(),
      'every message exactly once',
    );
    t.equal((await ccr(['verify', dir])).status, 0, 'ccr verify is clean');
  },
);
