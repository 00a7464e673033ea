// Sync between server processes: in the background after pushes and on an interval, through a
// peer that goes down and comes back, and through a server killed with SIGKILL in the middle of a
// round (the rest is in test/sync/syncByHand.test.ts; the files are split to stay well inside the
// per-file time-out on a busy machine).

import { randomInt } from 'node:crypto';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { gitRun } from '../helpers/git.js';
import { killGroup } from '../helpers/process.js';
import { send } from '../helpers/wire.js';
import { admin, append, createRecord, mainOf, pair, start, until } from '../helpers/backgroundSites.js';

t.test('records and pushes reach the peer in the background; a peer that was down catches up', async (t) => {
  const [a, b] = await pair(t);
  const rec = await createRecord(a);
  await until('the new record is at B', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
  await append(t, a, rec.id, rec.thread, ['Pushed at A.']);
  await until('the push is at B', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
  b.proc!.child.kill('SIGTERM');
  await b.proc!.exited;
  await append(t, a, rec.id, rec.thread, ['While B is down.']);
  t.pass('local pushes work while the peer is down');
  await until('the failed round is reported', async () =>
    a.proc!.lines.some((l) => l['event'] === 'sync-round' && l['outcome'] === 'peer-down'),
  );
  t.pass('the failed round is reported');
  await start(t, b);
  await until('B catches up after it comes back', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
});

t.test(
  'a server killed with SIGKILL in the middle of rounds leaves every site valid, and the next round completes',
  { timeout: 900_000 },
  async (t) => {
    const kills = process.env['CCR_RELIABILITY_LONG'] === '1' ? 20 : 3;
    const [a, b] = await pair(t, 2);
    const rec = await createRecord(a);
    await until('the record is at B', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
    let written = 0;
    for (let k = 0; k < kills; k++) {
      await append(t, b, rec.id, rec.thread, [`At B, concurrently, ${k}.`]);
      const seen = a.proc!.lines.length;
      await append(
        t,
        a,
        rec.id,
        rec.thread,
        Array.from({ length: 4 }, (_, i) => `At A ${k}.${i}.`),
      );
      written += 5;
      // A starts a round soon after the push (a merge, as B moved too): kill it at a random moment
      // of the round, git children and all.
      await until(
        'a round starts at A',
        async () => a.proc!.lines.slice(seen).some((l) => l['event'] === 'sync-round-start' && l['record'] === rec.id),
        10_000,
      );
      await new Promise((r) => setTimeout(r, randomInt(0, 150)));
      await killGroup(a.proc!);
      for (const n of [a, b]) {
        const gitdir = `${n.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`;
        t.equal((await ccr(['verify', gitdir])).status, 0, `${n.name} is valid after kill ${k + 1}`);
        t.equal(
          (await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--full', '--strict', '--no-dangling'])).status,
          0,
          `${n.name}: git fsck is clean`,
        );
      }
      await start(t, a);
    }
    await until('the sites converge', async () => {
      const [ma, mb] = [await mainOf(a, rec.id), await mainOf(b, rec.id)];
      return ma !== null && ma === mb;
    });
    const summary = JSON.parse(
      (await send(`http://127.0.0.1:${a.port}/api/records/${rec.id}`, { auth: admin })).body.toString(),
    ) as { threads: Array<{ message_count: number }> };
    t.equal(summary.threads[0]!.message_count, written, 'every message of both sites, once');
  },
);
