// Two CCR servers as processes that name each other as peers (test/sync/background.test.ts, syncByHand.test.ts).

import { writeFileSync } from 'node:fs';
import type { Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { ccr } from './cli.js';
import { gitOk, gitRun } from './git.js';
import { as, clinicalId, committer, jane, place } from './people.js';
import { killGroup, serveProcess, type ServerProcess } from './process.js';
import { ADMIN_TOKEN } from './server.js';
import { freePort } from './sites.js';
import { tempDir } from './tmp.js';
import { send } from './wire.js';

/** The admin of both sites (CCR_ADMIN_TOKEN). */
export const admin = { name: 'admin', token: ADMIN_TOKEN };

/** A site: its data folder, its port and, while it runs, its server process. */
export interface Node {
  name: string;
  data: string;
  port: number;
  proc?: ServerProcess;
}

/** Two data folders that name each other as peers, with `site` principals made offline. */
export async function pair(t: Test, interval = 1): Promise<[Node, Node]> {
  const nodes: [Node, Node] = [
    { name: 'a', data: tempDir(t), port: await freePort() },
    { name: 'b', data: tempDir(t), port: await freePort() },
  ];
  for (const [self, other] of [
    [nodes[0], nodes[1]],
    [nodes[1], nodes[0]],
  ] as const) {
    const made = await ccr(['principal', 'add', `site-${self.name}`, '--kind', 'site', '--data', other.data, '--json']);
    const token = (JSON.parse(made.stdout) as { token: string }).token;
    writeFileSync(
      `${self.data}/sites.json`,
      JSON.stringify({
        interval_seconds: interval,
        peers: [
          { name: other.name, url: `http://127.0.0.1:${other.port}`, user: `site-${self.name}`, token, records: 'all' },
        ],
      }),
    );
  }
  for (const n of nodes) await start(t, n);
  return nodes;
}

/** Start a site's server as a process, stopped when the test ends. */
export async function start(t: Test, n: Node): Promise<void> {
  n.proc = await serveProcess(
    ['--data', n.data, '--port', String(n.port)],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
    undefined,
    true,
  );
  const proc = n.proc;
  t.teardown(() => killGroup(proc));
}

/** A site's main of a record, or null when it does not have it (or does not answer). */
export async function mainOf(n: Node, id: string): Promise<string | null> {
  const r = await send(`http://127.0.0.1:${n.port}/api/records/${id}`, { auth: admin }).catch(() => null);
  return r?.status === 200 ? (JSON.parse(r.body.toString()) as { head: string }).head : null;
}

/** Wait until a condition holds (sync is asynchronous), failing after a while. */
export async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Create a record with one thread at a site, through its API. */
export async function createRecord(n: Node): Promise<{ id: string; thread: string }> {
  const r = await send(`http://127.0.0.1:${n.port}/api/records`, {
    method: 'POST',
    auth: admin,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ clinical_id: clinicalId, care_location: place, thread: { participants: [jane] } }),
  });
  const b = JSON.parse(r.body.toString()) as { coordination_id: string; thread_id: string };
  return { id: b.coordination_id, thread: b.thread_id };
}

/** Append messages at a site by clone, write and push, fetching and writing again when sync moved main. */
export async function append(t: Test, n: Node, id: string, thread: string, bodies: string[]): Promise<void> {
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
