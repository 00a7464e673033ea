// Sync between server processes: in the background after pushes and on an interval, through a
// peer that goes down and comes back, through a server killed with SIGKILL in the middle of a
// round, and by hand with `ccr sync`.

import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const admin = { name: 'admin', token: ADMIN_TOKEN };

interface Node {
  name: string;
  data: string;
  port: number;
  proc?: ServerProcess;
}

/** Two data folders that name each other as peers, with `site` principals made offline. */
async function pair(t: Test, interval = 1): Promise<[Node, Node]> {
  const nodes: [Node, Node] = [{ name: 'a', data: tempDir(t), port: await freePort() }, { name: 'b', data: tempDir(t), port: await freePort() }];
  for (const [self, other] of [[nodes[0], nodes[1]], [nodes[1], nodes[0]]] as const) {
    const made = await ccr(['principal', 'add', `site-${self.name}`, '--kind', 'site', '--data', other.data, '--json']);
    const token = (JSON.parse(made.stdout) as { token: string }).token;
    writeFileSync(`${self.data}/sites.json`, JSON.stringify({ interval_seconds: interval, peers: [{ name: other.name, url: `http://127.0.0.1:${other.port}`, user: `site-${self.name}`, token, records: 'all' }] }));
  }
  for (const n of nodes) await start(t, n);
  return nodes;
}

async function start(t: Test, n: Node): Promise<void> {
  n.proc = await serveProcess(['--data', n.data, '--port', String(n.port)], { CCR_ADMIN_TOKEN: ADMIN_TOKEN }, undefined, true);
  const proc = n.proc;
  t.teardown(() => killGroup(proc));
}

async function mainOf(n: Node, id: string): Promise<string | null> {
  const r = await send(`http://127.0.0.1:${n.port}/api/records/${id}`, { auth: admin }).catch(() => null);
  return r?.status === 200 ? (JSON.parse(r.body.toString()) as { head: string }).head : null;
}

/** Wait until a condition holds (sync is asynchronous), failing after a while. */
async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function createRecord(n: Node): Promise<{ id: string; thread: string }> {
  const r = await send(`http://127.0.0.1:${n.port}/api/records`, { method: 'POST', auth: admin, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ clinical_id: clinicalId, care_location: place, thread: { participants: [jane] } }) });
  const b = JSON.parse(r.body.toString()) as { coordination_id: string; thread_id: string };
  return { id: b.coordination_id, thread: b.thread_id };
}

async function append(t: Test, n: Node, id: string, thread: string, bodies: string[]): Promise<void> {
  const dir = `${tempDir(t)}/w`;
  const url = new URL(`http://127.0.0.1:${n.port}/coordination/${id}.git`);
  url.username = 'admin';
  url.password = ADMIN_TOKEN;
  await gitOk('/', ['clone', '-q', url.toString(), dir]);
  const svc = await CoordinationService.at(dir);
  // Background sync may move main meanwhile: like any client, fetch and write again on top.
  for (let attempt = 0; ; attempt++) {
    for (const body of bodies) await svc.addMessage(committer, place, thread, { author: as(jane), body });
    const pushed = await gitRun(dir, ['push', '-q', 'origin', 'main']);
    if (pushed.status === 0) return;
    if (attempt === 5) throw new Error(pushed.stderr);
    await gitOk(dir, ['fetch', '-q', 'origin']);
    await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
  }
}

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
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(a.proc!.lines.some((l) => l['event'] === 'sync-round' && l['outcome'] === 'peer-down'), 'the failed round is reported');
  await start(t, b);
  await until('B catches up after it comes back', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
});

t.test('a server killed with SIGKILL in the middle of rounds leaves every site valid, and the next round completes', { timeout: 900_000 }, async (t) => {
  const kills = process.env['CCR_RELIABILITY_LONG'] === '1' ? 20 : 3;
  const [a, b] = await pair(t, 2);
  const rec = await createRecord(a);
  await until('the record is at B', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
  let written = 0;
  for (let k = 0; k < kills; k++) {
    await append(t, b, rec.id, rec.thread, [`At B, concurrently, ${k}.`]);
    const seen = a.proc!.lines.length;
    await append(t, a, rec.id, rec.thread, Array.from({ length: 4 }, (_, i) => `At A ${k}.${i}.`));
    written += 5;
    // A starts a round soon after the push (a merge, as B moved too): kill it at a random moment
    // of the round, git children and all.
    await until('a round starts at A', async () => a.proc!.lines.slice(seen).some((l) => l['event'] === 'sync-round-start' && l['record'] === rec.id), 10_000);
    await new Promise((r) => setTimeout(r, randomInt(0, 150)));
    await killGroup(a.proc!);
    for (const n of [a, b]) {
      const gitdir = `${n.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`;
      t.equal((await ccr(['verify', gitdir])).status, 0, `${n.name} is valid after kill ${k + 1}`);
      t.equal((await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--full', '--strict', '--no-dangling'])).status, 0, `${n.name}: git fsck is clean`);
    }
    await start(t, a);
  }
  await until('the sites converge', async () => {
    const [ma, mb] = [await mainOf(a, rec.id), await mainOf(b, rec.id)];
    return ma !== null && ma === mb;
  });
  const summary = JSON.parse((await send(`http://127.0.0.1:${a.port}/api/records/${rec.id}`, { auth: admin })).body.toString()) as { threads: Array<{ message_count: number }> };
  t.equal(summary.threads[0]!.message_count, written, 'every message of both sites, once');
});

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
  await gitOk(work, ['commit', '-q', '--amend', '-am', 'coordination:update: Added message to thread\n\nCare-Location: B']);
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, '+main:refs/heads/main']);
  // A push at A starts a background round with B.
  const seen = a.proc!.lines.length;
  await append(t, a, rec.id, rec.thread, ['Third.']);
  await until('the round is logged', async () => a.proc!.lines.slice(seen).some((l) => l['event'] === 'sync-round' && l['outcome'] === 'refused-rewrite'));
  const metrics = (await send(`http://127.0.0.1:${a.port}/metrics`, { auth: admin })).body.toString();
  t.match(metrics, /ccr_sync_total\{peer="b",outcome="refused-rewrite"\} [1-9]/, 'counted');
  const byHand = await ccr(['sync', '--data', a.data, '--peer', 'b']);
  t.equal(byHand.status, 1, 'ccr sync fails');
  t.match(byHand.stdout, `b ${rec.id} refused-rewrite: `);
  t.not(await mainOf(a, rec.id), before, 'our own push landed');
  t.match(await gitOk(work, ['--git-dir', `${a.data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`, 'show', `main:communications/${rec.thread}/messages.md`]), /Second\.[\s\S]*Third\./, 'our main keeps our history');
});

t.test('ccr sync runs a round by hand and reports each record', async (t) => {
  const [a, b] = await pair(t, 0);
  const rec = await createRecord(a);
  a.proc!.child.kill('SIGTERM');
  await a.proc!.exited;
  await until('the record is at B', async () => (await mainOf(b, rec.id)) !== null).catch(() => undefined);
  const r = await ccr(['sync', '--data', a.data, '--json']);
  t.equal(r.status, 0, r.stdout);
  t.match(JSON.parse(r.stdout), { ok: true, rounds: [{ record: rec.id, peer: 'b', outcome: /in-sync|created-at-peer|pushed/ }] });
  const human = await ccr(['sync', '--data', a.data, '--peer', 'b']);
  t.match(human.stdout, `b ${rec.id} in-sync\n1 rounds, 0 not in sync\n`);
  t.equal((await ccr(['sync', '--data', a.data, '--peer', 'nobody'])).status, 2);
  const badId = await ccr(['sync', '--data', a.data, '--record', '../../elsewhere']);
  t.equal(badId.status, 2, 'a record id that is not a UUID is a usage error');
  t.match(badId.stderr, /expected --record to be a record id/);
});
