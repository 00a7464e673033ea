// Participant views under concurrency and kill -9 (SPEC 12, issue 13). Several principals (two
// patients in different threads and a clinician in both) push from their views and fetch while
// an admin pushes to main; then, with the server a process, while it is killed with SIGKILL and
// restarted. After either: git fsck clean on the record and on every view, every acknowledged
// message on main exactly once, and every served view equal to the view rebuilt from nothing.
// Bounded by work (pushes per principal, kills only after progress), not by the clock.

import { randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { parseMessages } from '../../core/messages/grammar.js';
import { participantReader } from '../../core/views/reader.js';
import type { RecordId } from '../../core/ids.js';
import { ViewStore } from '../../git/views/store.js';
import { pushMain, settlePush, type PushOutcome } from '../../git/remote.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, clinicalId, committer, jane, participant, place, tom, john } from '../helpers/people.js';
import { killGroup, serveProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN_TOKEN, testServer, type Creds } from '../helpers/server.js';
import { freePort } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

const mary = participant('3e5a7c9b-1d2f-4a6e-8b0c-2d4f6a8c0e1b', 'patient', 'Mary Roe');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Person = typeof jane;

/** A server reached over HTTP: its URL and a way to call its API as the admin. */
interface Reach {
  url: () => string;
  api: (method: string, path: string, body: unknown) => Promise<{ status: number; body: any }>;
}

/** Make the principals and the record: thread A (jane, john), B (jane, mary), C (tom: out of every view). */
async function setUp(t: Test, reach: Reach) {
  const creds: Record<string, Creds> = {};
  for (const [name, p] of [
    ['jane', jane],
    ['john', john],
    ['mary', mary],
  ] as Array<[string, Person]>) {
    const { participant_id, role, display_name } = p;
    const body = { name, kind: 'participant', participant_id, role, display_name };
    const r = await reach.api('POST', '/api/principals', body);
    if (r.status !== 201) throw new Error(`principal ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    creds[name] = { name, token: r.body.token as string };
  }
  creds['admin'] = { name: 'admin', token: ADMIN_TOKEN };
  const threads: Record<string, string> = {};
  let record = '';
  for (const [key, people] of [
    ['A', [jane, john]],
    ['B', [jane, mary]],
    ['C', [tom]],
  ] as Array<[string, Person[]]>) {
    if (!record) {
      const body = { clinical_id: clinicalId, care_location: place, thread: { participants: people } };
      const r = await reach.api('POST', '/api/records', body);
      if (r.status !== 201) throw new Error(`record: ${r.status} ${JSON.stringify(r.body)}`);
      record = r.body.coordination_id as string;
      threads[key] = r.body.thread_id as string;
      continue;
    }
    const dir = `${tempDir(t)}/setup`;
    await gitOk('/', ['clone', '-q', gitUrl(reach, record, creds['admin']!), dir]);
    const first = { author: as(people[0]!), body: `Thread ${key}.` };
    threads[key] = await (await CoordinationService.at(dir)).createThread(committer, place, people, first);
    await gitOk(dir, ['push', '-q', 'origin', 'main']);
  }
  return { creds, threads, record };
}

function gitUrl(reach: Reach, record: string, who: Creds): string {
  const u = new URL(`${reach.url()}/coordination/${record}.git`);
  u.username = who.name;
  u.password = who.token;
  return u.toString();
}

/** A writer: clones as a principal, then appends messages to a thread, each pushed until git acknowledges it. */
async function writer(
  t: Test,
  reach: Reach,
  record: string,
  who: Creds,
  author: Person,
  thread: string,
  count: number,
  acknowledged: string[],
  onAck: () => void,
  stats: { behind: number; unknown: number },
) {
  const dir = `${tempDir(t)}/${who.name}`;
  while ((await gitRun('/', ['clone', '-q', gitUrl(reach, record, who), dir])).status !== 0) await sleep(200);
  const o = { dir, env: testGitEnv(), timeoutMs: 60_000 };
  const write = async (body: string) =>
    (await CoordinationService.at(dir)).addMessage(committer, place, thread, { author: as(author), body });
  for (let i = 0; i < count; i++) {
    const body = `${who.name} message ${i}`;
    await write(body);
    for (;;) {
      const head = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
      let r: PushOutcome = await pushMain(o);
      if (r.outcome === 'unknown') {
        stats.unknown++;
        let settled = await settlePush(o, head);
        while (settled === 'unknown') settled = await settlePush(o, head);
        if (settled === 'landed') r = { outcome: 'accepted' };
      }
      if (r.outcome === 'accepted') {
        acknowledged.push(body);
        onAck();
        break;
      }
      // A push on a stale view is refused by the ref rule: behind, like a non-fast-forward. On a
      // busy machine a push may also wait past the lock budget for the other pushers' writes and
      // be refused with ccr/parse-budget, nothing changed ("push again in a moment"): the same retry.
      const retry =
        r.outcome === 'refused' &&
        r.lines.some((l) => l.includes('ccr/ref-fast-forward') || l.includes('ccr/parse-budget'));
      if (r.outcome === 'refused' && !retry) throw new Error(`refused: ${r.lines.join('\n')}`);
      stats.behind++;
      while ((await gitRun(dir, ['fetch', '-q', 'origin'])).status !== 0) await sleep(200);
      await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
      await write(body);
    }
  }
}

/** Every check of the end state: fsck, each acknowledged message once, each view as rebuilt from nothing. */
async function checkEnd(
  t: Test,
  reach: Reach,
  data: string,
  record: string,
  creds: Record<string, Creds>,
  threads: Record<string, string>,
  acknowledged: string[],
) {
  const store = new ViewStore(data);
  const gitdir = store.recordDir(record as RecordId);
  const people: Record<string, Person> = { jane, john, mary };
  // Serving a view brings it up to main; then it must be what a build from nothing gives.
  const copy = new ViewStore(tempDir(t));
  await gitOk('/', ['clone', '-q', '--bare', gitdir, copy.recordDir(record as RecordId)]);
  for (const name of ['jane', 'john', 'mary']) {
    const url = gitUrl(reach, record, creds[name]!);
    const served = (await gitOk('/', ['ls-remote', url, 'refs/heads/main'])).split('\t')[0];
    const rebuilt = await copy.update(record as RecordId, participantReader(people[name]!.participant_id));
    t.equal(served, rebuilt.view, `${name}: the served view is the view rebuilt from nothing`);
    const main = (await gitOk(gitdir, ['--git-dir', gitdir, 'rev-parse', 'main'])).trim();
    t.equal(rebuilt.main, main, `${name}: of the current main`);
  }
  const views = (await fs.readdir(store.viewsOf(record as RecordId))).filter((f) => f.endsWith('.git'));
  t.equal(views.length, 3, 'one view repository per participant principal');
  for (const dir of [gitdir, ...views.map((v) => `${store.viewsOf(record as RecordId)}/${v}`)]) {
    const fsck = await gitRun(dir, ['--git-dir', dir, 'fsck', '--full', '--strict', '--no-dangling']);
    t.equal(fsck.status, 0, `git fsck clean: ${dir.slice(data.length)} ${fsck.stderr}`);
  }
  const bodies: string[] = [];
  for (const thread of Object.values(threads)) {
    const text = await gitOk(gitdir, ['--git-dir', gitdir, 'show', `main:communications/${thread}/messages.md`]);
    bodies.push(...parseMessages(text).messages.map((m) => m.body.trim()));
  }
  const missing = acknowledged.filter((b) => !bodies.includes(b));
  const doubled = bodies.filter((b, i) => bodies.indexOf(b) !== i);
  t.same(missing, [], `every acknowledged message (${acknowledged.length}) is on main`);
  t.same(doubled, [], 'none twice');
}

t.test('views of three principals fetched and pushed from while main moves: all equal their rebuilds', async (t) => {
  const s = await testServer(t);
  const reach: Reach = { url: () => s.url, api: (m, p, b) => s.api(m, p, s.admin, b) };
  const { creds, threads, record } = await setUp(t, reach);
  const acknowledged: string[] = [];
  const stats = { behind: 0, unknown: 0 };
  const ROUNDS = 3;
  let writing = 4;
  const fetcher = async (who: Creds) => {
    const dir = `${tempDir(t)}/${who.name}-reader`;
    await gitOk('/', ['clone', '-q', gitUrl(reach, record, who), dir]);
    let fetches = 0;
    while (writing > 0 || fetches < 2) {
      await gitOk(dir, ['pull', '-q', '--ff-only']);
      fetches++;
    }
    return fetches;
  };
  const write = async (who: Creds, author: Person, thread: string) => {
    await writer(t, reach, record, who, author, thread, ROUNDS, acknowledged, () => undefined, stats);
    writing--;
  };
  const [, , , , ...fetches] = await Promise.all([
    write(creds['admin']!, tom, threads['C']!),
    write(creds['john']!, john, threads['A']!),
    write(creds['mary']!, mary, threads['B']!),
    write(creds['jane']!, jane, threads['A']!),
    fetcher(creds['john']!),
    fetcher(creds['mary']!),
    fetcher(creds['jane']!),
  ]);
  t.comment(`acknowledged ${acknowledged.length}, behind ${stats.behind}, fetches ${fetches.join(', ')}`);
  t.equal(acknowledged.length, 4 * ROUNDS);
  await checkEnd(t, reach, s.data, record, creds, threads, acknowledged);
});

t.test(
  'views under kill -9: participants push from views while the server is killed, restarted',
  { timeout: 280_000 },
  async (t) => {
    const KILLS = 4;
    const PUSHES = 4;
    const started = Date.now();
    const data = tempDir(t);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const start = () =>
      serveProcess(['--data', data, '--port', String(port)], { CCR_ADMIN_TOKEN: ADMIN_TOKEN }, undefined, true);
    let server: ServerProcess = await start();
    t.teardown(() => killGroup(server));
    const admin = { name: 'admin', token: ADMIN_TOKEN };
    const reach: Reach = {
      url: () => base,
      api: async (method, path, body) => {
        const headers = { 'Content-Type': 'application/json' };
        const r = await send(`${base}${path}`, { method, auth: admin, headers, body: JSON.stringify(body) });
        return { status: r.status, body: JSON.parse(r.body.toString()) };
      },
    };
    const { creds, threads, record } = await setUp(t, reach);
    const acknowledged: string[] = [];
    const stats = { behind: 0, unknown: 0, kills: 0 };
    let progress = 0;
    let running = 3;
    const write = async (who: Creds, author: Person, thread: string) => {
      await writer(
        t,
        reach,
        record,
        who,
        author,
        thread,
        PUSHES,
        acknowledged,
        () => {
          progress++;
        },
        stats,
      );
      running--;
    };
    // Kills at a random moment once the server has acknowledged something since it started.
    const killer = async () => {
      while (running > 0 && stats.kills < KILLS) {
        const seen = progress;
        while (progress === seen && running > 0) await sleep(50);
        await sleep(randomInt(0, 800));
        if (running === 0) break;
        await killGroup(server);
        stats.kills++;
        server = await start();
      }
    };
    await Promise.all([
      write(creds['john']!, john, threads['A']!),
      write(creds['mary']!, mary, threads['B']!),
      write(creds['jane']!, jane, threads['B']!),
      killer(),
    ]);
    t.comment(
      `kill loop over views: ${stats.kills} kills, acknowledged ${acknowledged.length}, ` +
        `behind ${stats.behind}, unknown ${stats.unknown}, ${Date.now() - started} ms`,
    );
    t.ok(stats.kills >= 1, `the server was killed ${stats.kills} times`);
    t.equal(acknowledged.length, 3 * PUSHES, 'every push was acknowledged in the end');
    await checkEnd(t, reach, data, record, creds, threads, acknowledged);
  },
);
