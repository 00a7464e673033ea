// Webhook deliveries survive a server killed with SIGKILL (issue 16): deliveries pending when the
// server dies are persisted with their events, and are delivered once it is back (at least once,
// under the same delivery id); a move of main recorded by no one before the kill is caught up.

import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk } from '../helpers/git.js';
import { eventually, startReceiver } from '../helpers/receiver.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const SECRET = 'a-webhook-secret-of-32-characters!';
const admin = { name: 'admin', token: ADMIN_TOKEN };

/**
 * A receiver, and `ccr serve` in a process group of its own on a fixed port and data folder, so it
 * can be killed and started again; `json` calls its API as the admin.
 */
async function scene(t: Test) {
  const rx = await startReceiver(t, SECRET);
  const data = tempDir(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { CCR_ADMIN_TOKEN: ADMIN_TOKEN, CCR_WEBHOOK_ALLOW: rx.host, CCR_WEBHOOK_RETRY_MS: '200' };
  const start = () => serveProcess(['--data', data, '--port', String(port)], env, undefined, true);
  const server: { current: ServerProcess } = { current: await start() };
  t.teardown(() => killGroup(server.current));
  const json = async (method: string, path: string, body?: unknown) => {
    const r = await send(`${base}${path}`, {
      method,
      auth: admin,
      ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: JSON.parse(r.body.toString() || 'null') };
  };
  return { rx, base, start, server, json };
}

t.test(
  'deliveries pending at a kill -9 are delivered after the restart, under the same id',
  { timeout: 120_000 },
  async (t) => {
    const { rx, start, server, json } = await scene(t);
    const hook = await json('POST', '/api/webhooks', {
      url: rx.url,
      secret: SECRET,
      records: 'all',
      kinds: ['record.created'],
    });
    t.equal(hook.status, 201);

    rx.mode = 503;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await json('POST', '/api/records', { clinical_id: clinicalId, care_location: place });
      ids.push(r.body.coordination_id);
    }
    // Each was tried and refused: promised, pending, not delivered.
    await eventually(
      async () => ids.every((id) => rx.received.some((r) => r.json?.record === id)),
      30_000,
      'a first attempt of each',
    );
    const firstIds = new Map(ids.map((id) => [id, rx.received.find((r) => r.json?.record === id)!.delivery]));
    await killGroup(server.current);

    rx.mode = 200;
    server.current = await start();
    for (const id of ids) {
      const ok = await rx.waitFor((r) => r.json?.record === id && r.answered === 200, 30_000);
      t.ok(ok.signed);
      t.equal(ok.delivery, firstIds.get(id), 'the same delivery id as before the kill');
    }
    const log = await eventually(
      async () => {
        const d = (await json('GET', `/api/webhooks/${hook.body.id}/deliveries`)).body.deliveries as any[];
        return d.length === 3 && d.every((x) => x.state === 'delivered') ? d : null;
      },
      20_000,
      'every delivery logged as delivered',
    );
    t.equal(log.length, 3, 'one delivery per event, none lost, none made twice');
  },
);

t.test(
  'a push answered just before a kill -9 is in the feed once after the restart, and delivered',
  { timeout: 120_000 },
  async (t) => {
    const { rx, base, start, server, json } = await scene(t);
    t.equal(
      (await json('POST', '/api/webhooks', { url: rx.url, secret: SECRET, records: 'all', kinds: ['message.added'] }))
        .status,
      201,
    );
    const rec = (
      await json('POST', '/api/records', {
        clinical_id: clinicalId,
        care_location: place,
        thread: { participants: [jane] },
      })
    ).body;
    const url = new URL(`${base}/coordination/${rec.coordination_id}.git`);
    [url.username, url.password] = ['admin', ADMIN_TOKEN];
    const dir = `${tempDir(t)}/w`;
    await gitOk('/', ['clone', '-q', url.toString(), dir]);
    const message = await (
      await CoordinationService.at(dir)
    ).addMessage(committer, place, rec.thread_id, { author: as(jane), body: 'just before the kill' });
    await gitOk(dir, ['push', '-q', 'origin', 'main']);
    await killGroup(server.current); // at once: the feed may or may not have recorded the push

    server.current = await start();
    const got = await rx.waitFor((r) => r.json?.message === message && r.answered === 200, 30_000);
    t.ok(got.signed);
    const events = (await json('GET', '/api/events?limit=1000')).body.events as any[];
    t.equal(events.filter((e) => e.message === message).length, 1, 'in the feed once');
  },
);
