// A push racing a server-side write (the service under the record lock, a sync round moving main
// by compare-and-swap). An accepted push holds the record lock until its receive-pack has exited,
// so the writer waits; a push whose main was moved while it was judged is refused with a reason
// and what to do; git's opaque "failed to update ref" never shows; nothing is lost; no lock stays.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import t, { type Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import { ruleIds } from '../../core/rules/ids.js';
import { CoordinationService } from '../../index.js';
import { pushMain } from '../../git/remote.js';
import type { PushInput, PushVerdict } from '../../server/validator.js';
import type { ServerOptions } from '../../server/context.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type TestServer } from '../helpers/server.js';
import { mainAt, sites, syncAll } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

const thread = { participants: [jane, tom], message: { author_id: jane.participant_id, body: 'First message.' } };

/** Run `during` inside the next judgement of a push at this server, after the verdict and before the hook hears it. */
function duringNextJudgement(s: TestServer, during: (input: PushInput) => Promise<void>): void {
  const pool = s.server.context.validator;
  const judge = pool.judge.bind(pool);
  pool.judge = async (input: PushInput): Promise<PushVerdict> => {
    pool.judge = judge;
    const verdict = await judge(input);
    await during(input);
    return verdict;
  };
}

/** A message written by the server itself, through the service under the record lock. */
async function serverWrite(s: TestServer, id: string, threadId: string, body: string): Promise<string> {
  const repo = (await s.server.context.records.open(id as RecordId))!;
  const svc = await CoordinationService.open(repo, id as RecordId);
  await svc.addMessage(committer, place, threadId, { author: as(tom), body });
  return (await repo.head())!;
}

/** A server, a record and a clone of it with one message committed (not pushed): each test's start. */
async function withCommit(t: Test, options: Partial<ServerOptions>, body: string) {
  const s = await testServer(t, options);
  const rec = await s.record(thread);
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const clone = `${work}/c`;
  await (await CoordinationService.at(clone)).addMessage(committer, place, rec.thread!, { author: as(jane), body });
  return { s, rec, clone };
}

/** The server's log so far, as events. */
function logged(s: TestServer): Array<{ event: string; rules?: string[] }> {
  return s.logs.map((l) => JSON.parse(l) as { event: string; rules?: string[] });
}

async function bodies(s: TestServer, id: string): Promise<number> {
  return (await s.api('GET', `/api/records/${id}`, s.admin)).body.threads[0].message_count as number;
}

t.test(
  'a push overtaken by a server-side write while it is judged is told why and what to do; pushed again, both land',
  async (t) => {
    const { s, rec, clone } = await withCommit(t, {}, 'From the clone.');
    let written = '';
    duringNextJudgement(s, async () => {
      written = await serverWrite(s, rec.id, rec.thread!, 'Written by the server meanwhile.');
    });
    const push = await gitRun(clone, ['push', 'origin', 'main']);
    t.not(push.status, 0, 'the push is refused');
    t.match(
      push.stderr,
      /remote: ccr\/ref-fast-forward refs\/heads\/main: expected main at [0-9a-f]{12}, found [0-9a-f]{12}: main moved/,
    );
    t.match(
      push.stderr,
      /remote: ccr: main moved while your push was being checked; fetch and push again; nothing was changed/,
    );
    t.notMatch(push.stderr, /failed to update ref/, "not git's opaque error");
    t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), written, "main is the server's write");

    await gitOk(clone, ['fetch', '-q', 'origin']);
    await gitOk(clone, ['reset', '-q', '--hard', 'origin/main']);
    await (
      await CoordinationService.at(clone)
    ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'From the clone.' });
    t.match(
      await pushMain({ dir: clone, env: testGitEnv() }),
      { outcome: 'accepted', receipt: /-----BEGIN CCR RECEIPT-----/ },
      'fetched and pushed again, it lands',
    );
    t.equal(await bodies(s, rec.id), 3, 'both messages are in main');
  },
);

// The write starts once the push holds the record lock: through receive-pack, right after the
// verdict (the hook takes the lock at once); landed ahead, when its quota is looked up under the
// lock (the verdict comes before git has stored the pack there, so a write then would come first).
for (const landAhead of [false, true]) {
  const way = landAhead ? 'landed ahead' : 'through receive-pack';
  t.test(`a server-side write that starts while an accepted push is landing waits for it (${way})`, async (t) => {
    const { s, rec, clone } = await withCommit(t, { landAhead }, 'From the clone.');
    const pushed = (await gitOk(clone, ['rev-parse', 'HEAD'])).trim();
    let write: Promise<string> | undefined;
    const start = () => {
      setImmediate(() => {
        write = serverWrite(s, rec.id, rec.thread!, 'Written by the server.');
      });
    };
    if (landAhead) {
      const quotas = s.server.context.quotas;
      const limits = quotas.limits.bind(quotas);
      quotas.limits = (p) => {
        quotas.limits = limits;
        start();
        return limits(p);
      };
    } else
      duringNextJudgement(s, async () => {
        start();
      });
    const push = await gitRun(clone, ['push', 'origin', 'main']);
    t.equal(push.status, 0, `the push lands: ${push.stderr}`);
    const written = await write!;
    const gitdir = s.server.context.records.path(rec.id as RecordId);
    const parent = (await gitOk(gitdir, ['--git-dir', gitdir, 'rev-parse', `${written}^`])).trim();
    t.equal(parent, pushed, "the server's write came after the push, on top of it");
    t.equal(await bodies(s, rec.id), 3);
  });
}

t.test(
  'a sync round that moves main during a push: the pusher is told to fetch; pushed again, the sites agree',
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    const rec = await a!.s.record(thread);
    t.match(await syncAll(a!, 'b'), [{ outcome: 'created-at-peer' }]);
    await serverWrite(b!.s, rec.id, rec.thread!, 'Written at site B.');
    const work = tempDir(t);
    await gitOk(work, ['clone', '-q', a!.s.gitUrl(rec.id, a!.s.admin), 'c']);
    const clone = `${work}/c`;
    await (
      await CoordinationService.at(clone)
    ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Pushed to site A.' });
    duringNextJudgement(a!.s, async () => {
      t.match(await syncAll(a!, 'b'), [{ outcome: 'fast-forwarded' }], 'the round moves main at A');
    });
    const push = await gitRun(clone, ['push', 'origin', 'main']);
    t.not(push.status, 0);
    t.match(push.stderr, /main moved while your push was being checked; fetch and push again; nothing was changed/);
    t.notMatch(push.stderr, /failed to update ref/);
    await gitOk(clone, ['fetch', '-q', 'origin']);
    await gitOk(clone, ['reset', '-q', '--hard', 'origin/main']);
    await (
      await CoordinationService.at(clone)
    ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Pushed to site A.' });
    t.match(await pushMain({ dir: clone, env: testGitEnv() }), {
      outcome: 'accepted',
      receipt: /-----BEGIN CCR RECEIPT-----/,
    });
    t.match(await syncAll(a!, 'b'), [{ outcome: 'pushed' }]);
    t.equal(await mainAt(a!, rec.id), await mainAt(b!, rec.id), 'both sites hold the same main');
    t.equal(await bodies(b!.s, rec.id), 3, 'with every message');
  },
);

t.test(
  'an accepted push that cannot have the record lock within 10 s is refused with a reason; nothing changes',
  async (t) => {
    const { s, rec, clone } = await withCommit(t, {}, 'Waits for the lock.');
    const gitdir = s.server.context.records.path(rec.id as RecordId);
    const before = await mainAt({ name: 'x', s, peers: [] }, rec.id);
    // A writer in another live process holds the record lock for longer than a push waits.
    writeFileSync(`${gitdir}/ccr.lock`, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'held-by-test' }));
    const push = await gitRun(clone, ['push', 'origin', 'main']);
    unlinkSync(`${gitdir}/ccr.lock`);
    t.not(push.status, 0);
    t.match(
      push.stderr,
      /remote: ccr\/parse-budget refs\/heads\/main: expected the record within 10 s, found it busy with another write/,
    );
    t.match(push.stderr, /remote: ccr: nothing was changed; push again in a moment/);
    t.equal(await mainAt({ name: 'x', s, peers: [] }, rec.id), before, 'main did not move');
    t.match(
      await pushMain({ dir: clone, env: testGitEnv() }),
      { outcome: 'accepted', receipt: /-----BEGIN CCR RECEIPT-----/ },
      'pushed again once the lock is free, it lands',
    );
  },
);

/** Processes of hooks/pre-receive started for this server's pushes (their hook port in the environment). */
function hookProcesses(port: number): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pre-receive')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`CCR_HOOK_PORT=${port}`))
        out.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * Wait until no process of the group runs (a zombie has closed its files, its connections with
 * them). Blocking on purpose: the server in this process gets no poll of its event loop before the
 * judgement is released, so it is the server's own look at the connection that refuses the push.
 */
function groupEnded(group: number): void {
  const running = (pid: string) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === group && state !== 'Z' && state !== 'X';
    } catch {
      return false; // gone meanwhile
    }
  };
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; readdirSync('/proc').some((n) => /^\d+$/.test(n) && running(n)); i++) {
    if (i > 2000) throw new Error(`expected the process group ${group} to end, found it running after 10 s`);
    Atomics.wait(pause, 0, 0, 5);
  }
}

// A push the rules accept ahead is landed without receive-pack (server/landAhead.ts): the client
// killed is tried on both ways; the hook runs only on receive-pack's.
const victims = [
  ['the pushing client', true],
  ['the pushing client', false],
  ['the pre-receive hook', false],
] as const;
type Victim = (typeof victims)[number][0];

/**
 * Push from `clone` and kill the victim while the push is judged (the judgement held until then);
 * the judgement is released once the victim is gone. `hooked`: the push goes through receive-pack,
 * whose hook is waited for (the judgement held may be the one made ahead, before the hook runs).
 */
async function pushKilled(t: Test, s: TestServer, clone: string, victim: Victim, hooked: boolean): Promise<void> {
  let judging!: () => void;
  const judged = new Promise<void>((r) => (judging = r));
  let release!: () => void;
  duringNextJudgement(s, () => {
    judging();
    return new Promise<void>((r) => (release = r));
  });
  // In a process group of its own: git's HTTP transport is a child of `git push` (git-remote-http).
  const client = spawn('git', ['push', 'origin', 'main'], {
    cwd: clone,
    env: testGitEnv(),
    stdio: 'ignore',
    detached: true,
  });
  const killClient = () => {
    try {
      process.kill(-client.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  t.teardown(killClient);
  const exited = new Promise((r) => client.on('close', r));
  await judged;
  const port = s.server.context.hooks.port;
  for (let i = 0; hooked && hookProcesses(port).length === 0; i++) {
    if (i > 1000) throw new Error('expected receive-pack to run its pre-receive hook within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  if (victim === 'the pushing client') killClient();
  else for (const pid of hookProcesses(port)) process.kill(pid, 'SIGKILL');
  await exited;
  // git push may be reaped before its transport (git-remote-http) has closed the connection.
  if (victim === 'the pushing client') groupEnded(client.pid!);
  release();
}

for (const [victim, landAhead] of victims) {
  const way = landAhead ? 'landed ahead' : 'through receive-pack';
  t.test(`${victim} killed while the push is judged (${way}) leaves no lock behind`, async (t) => {
    const { s, rec, clone } = await withCommit(t, { landAhead }, 'Never lands.');
    const gitdir = s.server.context.records.path(rec.id as RecordId);
    const before = await mainAt({ name: 'x', s, peers: [] }, rec.id);
    await pushKilled(t, s, clone, victim, !landAhead);
    const started = performance.now();
    const written = await serverWrite(s, rec.id, rec.thread!, 'Written by the server afterwards.');
    t.ok(performance.now() - started < 5000, 'a server-side write is not held up');
    t.not(written, before);
    t.notOk(existsSync(`${gitdir}/ccr.lock`), 'no record lock is left');
    t.equal(await bodies(s, rec.id), 2, 'the killed push did not land');
    if (victim === 'the pushing client') {
      const refused = logged(s);
      t.ok(
        refused.some((e) => e.event === 'push-refused' && e.rules?.includes(ruleIds.internal)),
        'refused by the accept, as its pusher was gone',
      );
    }
  });
}

for (const victim of ['the pushing client', 'the pre-receive hook'] as const) {
  t.test(`${victim} killed while a push from a participant's view is judged: refused, nothing lands`, async (t) => {
    const s = await testServer(t);
    const { jane: janeCreds } = await castPrincipals(s);
    const rec = await s.record(thread);
    const work = tempDir(t);
    await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, janeCreds), 'c']);
    const clone = `${work}/c`;
    await (
      await CoordinationService.at(clone)
    ).addMessage(committer, place, rec.thread!, {
      author: as(jane),
      body: 'Never lands.',
    });
    await pushKilled(t, s, clone, victim, true);
    // Nothing else writes meanwhile: had the server gone on, main would have moved. With its hook
    // killed, receive-pack has removed the objects the judgement reads: that ends it too.
    const ends = /^(push-refused|push-accepted|validator-failed)$/;
    const judged = () => logged(s).filter((e) => ends.test(e.event));
    for (let i = 0; i < 200 && judged().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const seen = judged().map((e) => [e.event, e.rules ?? []]);
    if (victim === 'the pushing client')
      t.same(seen, [['push-refused', [ruleIds.internal]]], 'refused before main moved, as its pusher was gone');
    else
      t.ok(seen.length === 1 && seen[0]![0] !== 'push-accepted', `judged once, not accepted: ${JSON.stringify(seen)}`);
    t.equal(await bodies(s, rec.id), 1, 'the killed push did not land');
  });
}

t.test("a push charged to its pusher's quota that then does not land gives it back", async (t) => {
  const data = tempDir(t);
  // The record's creation makes one thread; the push makes a second, and may once.
  const quotas = { period_seconds: 600, kinds: { admin: { records: null, threads: 2, bytes: null } } };
  writeFileSync(`${data}/quotas.json`, JSON.stringify(quotas));
  const s = await testServer(t, { data, landAhead: false });
  const rec = await s.record(thread);
  const gitdir = s.server.context.records.path(rec.id as RecordId);
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  await (await CoordinationService.at(`${work}/c`)).createThread(committer, place, [jane]);
  // Accepted and charged, then receive-pack cannot move main: its lock file is taken meanwhile.
  const held = `${gitdir}/refs/heads/main.lock`;
  duringNextJudgement(s, async () => writeFileSync(held, ''));
  const failed = await gitRun(`${work}/c`, ['push', 'origin', 'main']);
  unlinkSync(held);
  t.not(failed.status, 0, 'main could not move');
  t.equal(await bodies(s, rec.id), 1, 'nothing landed');
  const again = await gitRun(`${work}/c`, ['push', 'origin', 'main']);
  t.equal(again.status, 0, `pushed again, it lands within the quota: ${again.stderr.slice(0, 300)}`);
});

t.test(
  'pushes and server-side writes interleaved at random: no opaque error, every message once',
  { timeout: 240_000 },
  async (t) => {
    const s = await testServer(t, { validatorThreads: 2 });
    const rec = await s.record(thread);
    const work = tempDir(t);
    const opaque: string[] = [];
    const client = async (c: number) => {
      const dir = `${work}/c${c}`;
      await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), `c${c}`]);
      for (let i = 0; i < 3; i++) {
        for (;;) {
          const content = { author: as(jane), body: `Client ${c} message ${i}.` };
          await (await CoordinationService.at(dir)).addMessage(committer, place, rec.thread!, content);
          const r = await gitRun(dir, ['push', 'origin', 'main']);
          if (r.status === 0) break;
          if (/failed to update ref|cannot lock ref/.test(r.stderr)) opaque.push(r.stderr);
          if (!/main moved while your push was being checked|fetch first|non-fast-forward/.test(r.stderr))
            throw new Error(r.stderr);
          await gitOk(dir, ['fetch', '-q', 'origin']);
          await gitOk(dir, ['reset', '-q', '--hard', 'origin/main']);
        }
      }
    };
    const server = async () => {
      for (let i = 0; i < 9; i++) {
        await serverWrite(s, rec.id, rec.thread!, `Server message ${i}.`);
        await new Promise((r) => setTimeout(r, 20 + 80 * Math.random()));
      }
    };
    await Promise.all([client(0), client(1), client(2), server()]);
    t.same(opaque, [], 'no push ever met git\'s "failed to update ref"');
    t.equal(await bodies(s, rec.id), 1 + 9 + 9, 'every message is in main, once');
  },
);
