// The kill loop: clients append messages over HTTP while the server and its git children are
// killed with SIGKILL at random moments and restarted. Nothing acknowledged may be lost or
// doubled, every repository must stay sound, and no crash leftover may block the next push. A
// creator makes records through the API meanwhile: each one it was told of exists whole, and no
// half-made record is ever visible.
// The loop is bounded by work: the server is killed only after it has acknowledged something
// since its last start (so every life makes progress, however busy the machine), at most KILLS
// times; clients go on past their share until it was killed MIN_KILLS times (a fast server once
// finished the work after two); a deadline ends the loop early on a slow machine, and the checks
// then cover what was done.
// CCR_RELIABILITY_LONG=1 runs the long version (docs/reliability.md).

import { randomInt, randomUUID } from 'node:crypto';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { parseMessages } from '../../core/messages/grammar.js';
import { pushMain, settlePush } from '../../git/remote.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const long = process.env['CCR_RELIABILITY_LONG'] === '1';
const CLIENTS = long ? 6 : 3;
const PUSHES = long ? 80 : 8;
const CREATIONS = long ? 200 : 12;
const KILLS = long ? 400 : 12;
/** Clients go on past their PUSHES until the server was killed this often (pushes got fast enough to finish first). */
const MIN_KILLS = 3;
const DEADLINE_MS = long ? 3_000_000 : 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const title = 'appends survive a server killed at random moments: nothing acknowledged lost or doubled';
t.test(title, { timeout: long ? 3_600_000 : 280_000 }, async (t) => {
  const data = tempDir(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server: ServerProcess = await serveProcess(
    ['--data', data, '--port', String(port)],
    { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
    undefined,
    true,
  );
  t.teardown(() => killGroup(server));
  const admin = { name: 'admin', token: ADMIN_TOKEN };
  const records: Array<{ id: string; thread: string }> = [];
  for (let i = 0; i < 2; i++) {
    const r = await send(`${base}/api/records`, {
      method: 'POST',
      auth: admin,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clinical_id: clinicalId, care_location: place, thread: { participants: [jane] } }),
    });
    const b = JSON.parse(r.body.toString()) as { coordination_id: string; thread_id: string };
    records.push({ id: b.coordination_id, thread: b.thread_id });
  }
  const url = (id: string) => {
    const u = new URL(`${base}/coordination/${id}.git`);
    u.username = 'admin';
    u.password = ADMIN_TOKEN;
    return u.toString();
  };

  const acknowledged: string[] = [];
  const stats = {
    pushes: 0,
    kills: 0,
    behind: 0,
    unknown: 0,
    landedAfterUnknown: 0,
    creationsUnanswered: 0,
    creationsLandedUnanswered: 0,
  };
  let running = CLIENTS + 1;
  /** Operations acknowledged so far (pushes and record creations): the killer waits for news. */
  let progress = 0;
  const deadline = Date.now() + DEADLINE_MS;

  const client = async (c: number) => {
    const rec = records[c % records.length]!;
    const dir = `${tempDir(t)}/c${c}`;
    while ((await gitRun('/', ['clone', '-q', url(rec.id), dir])).status !== 0) await sleep(200);
    const o = { dir, env: testGitEnv(), timeoutMs: 30_000 };
    const fresh = async () => {
      while ((await gitRun(dir, ['fetch', '-q', 'origin'])).status !== 0) await sleep(200);
      await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
    };
    for (let i = 0; (i < PUSHES || stats.kills < MIN_KILLS) && Date.now() < deadline; i++) {
      const body = `client ${c} message ${i}`;
      let svc = await CoordinationService.at(dir);
      await svc.addMessage(committer, place, rec.thread, { author: as(jane), body });
      for (;;) {
        const head = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
        stats.pushes++;
        let r = await pushMain(o);
        if (r.outcome === 'unknown') {
          stats.unknown++;
          let settled = await settlePush(o, head);
          while (settled === 'unknown') settled = await settlePush(o, head);
          if (settled === 'landed') {
            stats.landedAfterUnknown++;
            r = { outcome: 'accepted' };
          }
        }
        if (r.outcome === 'accepted') {
          acknowledged.push(body);
          progress++;
          break;
        }
        if (r.outcome === 'refused') throw new Error(`refused: ${r.lines.join('\n')}`);
        // Behind, or known not to have landed: write the message again on the server's main.
        if (r.outcome === 'behind') stats.behind++;
        await fresh();
        svc = await CoordinationService.at(dir);
        await svc.addMessage(committer, place, rec.thread, { author: as(jane), body });
      }
    }
    running--;
  };

  // Record creation with ids chosen here, so an unanswered request is settled by asking again:
  // 409 means it landed before the server died.
  const created: string[] = [];
  const creator = async () => {
    for (let i = 0; i < CREATIONS && Date.now() < deadline; i++) {
      const id = randomUUID();
      for (let unanswered = false; ;) {
        const r = await send(`${base}/api/records`, {
          method: 'POST',
          auth: admin,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            coordination_id: id,
            clinical_id: clinicalId,
            care_location: place,
            thread: { participants: [jane] },
          }),
        }).catch(() => null);
        if (r?.status === 201 || (r?.status === 409 && unanswered)) {
          if (r.status === 409) stats.creationsLandedUnanswered++;
          created.push(id);
          progress++;
          break;
        }
        if (r !== null && r.status !== 503)
          throw new Error(`record creation answered ${r.status}: ${r.body.toString()}`);
        if (!unanswered) stats.creationsUnanswered++;
        unanswered = true;
        await sleep(100);
      }
    }
    running--;
  };

  // Kills at a random moment, but only once the server has acknowledged something since it
  // started: on a busy machine a fixed pace would kill every life before anything landed.
  const killer = async () => {
    while (running > 0 && stats.kills < KILLS && Date.now() < deadline) {
      const seen = progress;
      while (progress === seen && running > 0) await sleep(50);
      await sleep(randomInt(0, 1500));
      if (running === 0) break;
      await killGroup(server);
      stats.kills++;
      server = await serveProcess(
        ['--data', data, '--port', String(port)],
        { CCR_ADMIN_TOKEN: ADMIN_TOKEN },
        undefined,
        true,
      );
    }
  };
  await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), creator(), killer()]);
  t.comment(
    `pushes ${stats.pushes}, acknowledged ${acknowledged.length}, kills ${stats.kills}, behind ${stats.behind}, unknown ${stats.unknown} (landed ${stats.landedAfterUnknown}); records created ${created.length}, unanswered ${stats.creationsUnanswered} (landed ${stats.creationsLandedUnanswered})`,
  );
  t.ok(stats.kills >= MIN_KILLS, `the server was killed ${stats.kills} times`);
  t.ok(
    acknowledged.length >= CLIENTS && created.length >= 1,
    `work was done: ${acknowledged.length} messages, ${created.length} records`,
  );

  for (const rec of records) {
    const gitdir = `${data}/coordination/${rec.id.slice(0, 2)}/${rec.id.slice(2, 4)}/${rec.id}.git`;
    const fsck = await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--full', '--strict', '--no-dangling']);
    t.equal(fsck.status, 0, `git fsck --full --strict is clean: ${fsck.stderr}`);
    const verify = await ccr(['verify', gitdir]);
    t.equal(verify.status, 0, `ccr verify is clean: ${verify.stdout}`);
    const path = `communications/${rec.thread}/messages.md`;
    const history = (await gitOk(gitdir, ['--git-dir', gitdir, 'rev-list', '--reverse', 'main', '--', path]))
      .trim()
      .split('\n');
    let previous = '';
    let chain = true;
    for (const c of history) {
      const text = await gitOk(gitdir, ['--git-dir', gitdir, 'show', `${c}:${path}`]);
      chain &&= text.startsWith(previous);
      previous = text;
    }
    t.ok(chain, `messages.md is a byte-prefix chain through ${history.length} commits`);
    const bodies = parseMessages(previous).messages.map((m) => m.body);
    t.equal(new Set(bodies).size, bodies.length, 'no message twice');
    const mine = acknowledged.filter(
      (b) => Number(/client (\d+)/.exec(b)![1]) % records.length === records.indexOf(rec),
    );
    t.same(
      mine.filter((b) => bodies.filter((x) => x === b).length !== 1),
      [],
      'every acknowledged message exactly once',
    );
  }
  const listed = JSON.parse((await send(`${base}/api/records?limit=1000`, { auth: admin })).body.toString()) as {
    records: string[];
  };
  t.same(
    [...listed.records].sort(),
    [...records.map((r) => r.id), ...created].sort(),
    'every record created is listed, and nothing else',
  );
  let whole = 0;
  for (const id of created) {
    const gitdir = `${data}/coordination/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.git`;
    const summary = await send(`${base}/api/records/${id}`, { auth: admin });
    const fsck = await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--full', '--strict', '--no-dangling']);
    if (
      summary.status === 200 &&
      (JSON.parse(summary.body.toString()) as { threads: unknown[] }).threads.length === 1 &&
      fsck.status === 0
    )
      whole++;
  }
  t.equal(whole, created.length, 'every record created is whole: its first thread there, git fsck clean');
  const pushedAfter = await gitRun(`${tempDir(t)}`, ['clone', '-q', url(records[0]!.id), 'last']);
  t.equal(pushedAfter.status, 0, 'the server serves after the last restart');
});
