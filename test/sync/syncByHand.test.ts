// Sync between server processes, by hand with `ccr sync`, and a peer that rewrote its history as
// the log, the metrics and `ccr sync` report it.

import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';
import { admin, append, createRecord, mainOf, pair, until } from '../helpers/backgroundSites.js';

t.test('a peer that rewrote its history is reported in the log, the metrics and ccr sync, and refused', async (t) => {
  const [a, b] = await pair(t, 0);
  const rec = await createRecord(a);
  await append(t, a, rec.id, rec.thread, ['Second.']);
  // A round by hand, so that both sites surely agree on this point before B rewrites it.
  // (A background round may be pushing at the same moment: then ours says retry, and we do.)
  let agreed = await ccr(['sync', '--data', a.data, '--peer', 'b', '--record', rec.id]);
  for (let i = 0; i < 10 && agreed.status !== 0; i++) {
    await new Promise((r) => setTimeout(r, 300));
    agreed = await ccr(['sync', '--data', a.data, '--peer', 'b', '--record', rec.id]);
  }
  t.equal(agreed.status, 0, agreed.stdout);
  t.equal(await mainOf(b, rec.id), await mainOf(a, rec.id));
  const before = await mainOf(a, rec.id);
  // Someone at B rewrites the record on disk: the last commit amended, main forced.
  const gitdir = `${b.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`;
  const work = `${tempDir(t)}/rw`;
  await gitOk('/', ['clone', '-q', gitdir, work]);
  const file = `${work}/communications/${rec.thread}/messages.md`;
  writeFileSync(file, readFileSync(file, 'utf8').replace('Second.', 'Rewritten.'));
  await gitOk(work, [
    'commit',
    '-q',
    '--amend',
    '-am',
    'coordination:update: Added message to thread\n\nCare-Location: B',
  ]);
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, '+main:refs/heads/main']);
  // A push at A starts a background round with B.
  const seen = a.proc!.lines.length;
  await append(t, a, rec.id, rec.thread, ['Third.']);
  await until('the round is logged', async () =>
    a.proc!.lines.slice(seen).some((l) => l['event'] === 'sync-round' && l['outcome'] === 'refused-rewrite'),
  );
  const metrics = (await send(`http://127.0.0.1:${a.port}/metrics`, { auth: admin })).body.toString();
  t.match(metrics, /ccr_sync_total\{peer="b",outcome="refused-rewrite"\} [1-9]/, 'counted');
  const byHand = await ccr(['sync', '--data', a.data, '--peer', 'b']);
  t.equal(byHand.status, 1, 'ccr sync fails');
  t.match(byHand.stdout, `b ${rec.id} refused-rewrite: `);
  t.not(await mainOf(a, rec.id), before, 'our own push landed');
  t.match(
    await gitOk(work, [
      '--git-dir',
      `${a.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`,
      'show',
      `main:communications/${rec.thread}/messages.md`,
    ]),
    /Second\.[\s\S]*Third\./,
    'our main keeps our history',
  );
});

t.test('ccr sync runs a round by hand and reports each record', async (t) => {
  const [a, b] = await pair(t, 0);
  const rec = await createRecord(a);
  a.proc!.child.kill('SIGTERM');
  await a.proc!.exited;
  await until('the record is at B', async () => (await mainOf(b, rec.id)) !== null).catch(() => undefined);
  const r = await ccr(['sync', '--data', a.data, '--json']);
  t.equal(r.status, 0, r.stdout);
  t.match(JSON.parse(r.stdout), {
    ok: true,
    rounds: [{ record: rec.id, peer: 'b', outcome: /in-sync|created-at-peer|pushed/ }],
  });
  const human = await ccr(['sync', '--data', a.data, '--peer', 'b']);
  t.match(human.stdout, `b ${rec.id} in-sync\n1 rounds, 0 not in sync\n`);
  t.equal((await ccr(['sync', '--data', a.data, '--peer', 'nobody'])).status, 2);
  const badId = await ccr(['sync', '--data', a.data, '--record', '../../elsewhere']);
  t.equal(badId.status, 2, 'a record id that is not a UUID is a usage error');
  t.match(badId.stderr, /expected --record to be a record id/);
});
