// A dishonest or broken peer site (issue 19, items 1 to 4): one that accepts connections and never
// answers, one that dates its commits in 2099, one that sends more than a push may carry or a
// commit the rules refuse, and one that redirects our requests elsewhere to catch our token.

import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import t, { type Test } from 'tap';
import type { MessageId, RecordId, Timestamp } from '../../core/ids.js';
import { appendMessages } from '../../core/messages/grammar.js';
import { runGit } from '../../git/run.js';
import { RecordStore } from '../../store/records.js';
import { peerGitArgs, peerGitEnv, syncRecord } from '../../sync/round.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, testGitEnv } from '../helpers/git.js';
import { as, clinicalId, committer, jane, tom } from '../helpers/people.js';
import { CoordinationService } from '../../index.js';
import { testServer } from '../helpers/server.js';
import {
  hangingPeer,
  mainAt,
  processesMentioning,
  sites,
  siteWithPeers,
  syncAll,
  type Site,
} from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

/** Wait until a condition holds, failing after a generous while. */
async function until(what: string, fn: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Add a commit to a site's record on disk, past its hook: `change` edits the working copy. */
async function commitOnDisk(
  t: Test,
  site: Site,
  id: string,
  change: (work: string) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const gitdir = site.s.server.context.records.path(id as RecordId);
  const work = `${tempDir(t)}/disk`;
  await gitOk('/', ['clone', '-q', gitdir, work]);
  change(work);
  await gitOk(work, ['add', '-A']);
  await gitOk(work, ['commit', '-q', '-m', 'coordination:update: Added message to thread\n\nCare-Location: B'], {
    env: testGitEnv(env),
  });
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', work, '+main:refs/heads/main']);
  return (await gitOk(work, ['rev-parse', 'HEAD'])).trim();
}

/** Append one message by Jane with the given timestamp to a thread's file in a working copy. */
function appendAt(work: string, thread: string, timestamp: string, body: string): void {
  const file = `${work}/communications/${thread}/messages.md`;
  const id = `${randomBytes(4).toString('hex')}-0000-4000-8000-000000000000` as MessageId;
  writeFileSync(
    file,
    appendMessages(readFileSync(file, 'utf8'), [
      {
        id,
        type: 'clinician',
        timestamp: timestamp as Timestamp,
        authorId: jane.participant_id,
        author: jane.display_name,
        body,
      },
    ]),
  );
}

/** Whether a repository holds an object. */
async function holds(gitdir: string, oid: string): Promise<boolean> {
  return (await runGit(['--git-dir', gitdir, 'cat-file', '-e', oid])).code === 0;
}

/** What lies in a record's folder besides git's own files (scratch folders of rounds, say). */
function extras(gitdir: string): string[] {
  return readdirSync(gitdir).filter(
    (f) =>
      ![
        'HEAD',
        'config',
        'description',
        'objects',
        'refs',
        'hooks',
        'info',
        'packed-refs',
        'branches',
        'logs',
        'ccr.lock',
        // The storage upkeep's stamp (server/maintenance.ts), once its first look has run.
        'ccr-gc',
      ].includes(f),
  );
}

t.test(
  'a peer that accepts and never answers holds no sync slot past its budget: every new record reaches the healthy peer',
  async (t) => {
    const b = await testServer(t);
    const creds = await b.principal({ name: 'site-a', kind: 'site' });
    const hang = await hangingPeer(t);
    const port = new URL(hang).port;
    const budget = 8000;
    const a = await siteWithPeers(
      t,
      [
        { name: 'hang', url: hang, user: 'site-a', token: 'never-sent-anywhere-useful', records: 'all' },
        { name: 'b', url: b.url, user: creds.name, token: creds.token, records: 'all' },
      ],
      { syncTimeoutMs: budget },
    );
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        (await a.record({ participants: [jane], message: { author_id: jane.participant_id, body: `Record ${i}.` } }))
          .id,
      );
    const head = async (s: typeof a, id: string) =>
      (await s.server.context.records.open(id as RecordId))?.head() ?? null;
    t.teardown(() => {
      if (process.env['DEBUG_SYNC']) console.error(a.logs.filter((l) => l.includes('sync')).join('\n'));
    });
    await until('every new record is at the healthy peer', async () => {
      for (const id of ids) if ((await head(b, id)) !== (await head(a, id))) return false;
      return true;
    });
    const took = Date.now() - started;
    t.pass(`4 of 4 new records reached the healthy peer in ${took} ms beside a hanging one`);
    // The healthy peer may finish well inside the hanging peer's budget: wait for that budget to run out.
    const hangRounds = () =>
      a.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['event'] === 'sync-round' && l['peer'] === 'hang');
    await until('a round with the hanging peer ended', async () => hangRounds().length > 0, 4 * budget);
    const rounds = hangRounds();
    t.ok(rounds.length > 0, 'rounds with the hanging peer ended');
    t.ok(
      rounds.every((r) => r['outcome'] === 'peer-down'),
      'each reported as peer-down',
    );
    // Stopping the server ends the rounds in flight, git children and all.
    await a.server.close();
    t.same(
      processesMentioning(`127.0.0.1:${port}`),
      [],
      'no git process still talks to the hanging peer after shutdown',
    );

    // By hand: `ccr sync` returns, reports the hanging peer down once and does not try it again for each record.
    const before = Date.now();
    const r = await ccr(['sync', '--data', a.data, '--timeout', '8']);
    t.equal(r.status, 1, 'not every round ended well');
    const [first, ...rest] = [...ids].sort();
    t.match(r.stdout, `hang ${first} peer-down: no answer from the peer within the round's 8000 ms\n`);
    for (const id of rest) t.match(r.stdout, `hang ${id} peer-down: not tried: `);
    for (const id of ids) t.match(r.stdout, `b ${id} in-sync`);
    t.ok(Date.now() - before < 120_000, `ccr sync returned (${Date.now() - before} ms)`);
    t.same(processesMentioning(`127.0.0.1:${port}`), [], 'its git children are gone too');
  },
);

t.test(
  "a peer's commits dated in 2099 are refused by the round, as the same push would be, and nothing of them is kept",
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
    await syncAll(a!, 'b');
    const future = '2099-01-01T00:00:00.000Z';
    const commit = await commitOnDisk(t, b!, rec.id, (w) => appendAt(w, rec.thread!, future, 'From the future.'), {
      GIT_AUTHOR_DATE: future,
      GIT_COMMITTER_DATE: future,
    });
    const before = await mainAt(a!, rec.id);
    const [round] = await syncAll(a!, 'b');
    t.equal(round!.outcome, 'refused-invalid');
    t.ok(
      round!.findings?.some((f) => f.rule === 'ccr/message-timestamp'),
      `ccr/message-timestamp among ${round!.findings?.map((f) => f.rule).join(', ')}`,
    );
    t.equal(await mainAt(a!, rec.id), before, 'our main is kept');
    const gitdir = a!.s.server.context.records.path(rec.id as RecordId);
    t.notOk(await holds(gitdir, commit), 'the refused commit is not in our repository');
    t.same(extras(gitdir), [], 'no scratch folder left');

    // B's own round pushes it, and A's hook refuses it with the same rule.
    t.match(
      await syncAll(b!, 'a'),
      [{ outcome: 'retry', detail: /remote: ccr\/message-timestamp / }],
      'B cannot push it to A either',
    );
  },
);

t.test(
  'a record re-created through the API with its first commit dated in 2099 is refused; one dated now is created',
  async (t) => {
    const s = await testServer(t);
    const site = await s.principal({ name: 'site-x', kind: 'site' });
    const ask = (time: number) =>
      s.api('POST', '/api/records', site, {
        coordination_id: randomUUID(),
        clinical_id: clinicalId,
        care_location: 'Ward 7',
        root: { name: 'CCR', email: 'ccr@ccr.invalid', time },
      });
    const refused = await ask(Math.floor(Date.parse('2099-01-01T00:00:00Z') / 1000));
    // The same rule id and reason as a push of a commit so dated (test/corpus: a commit time far in the future).
    t.equal(refused.status, 422);
    const reason =
      'expected a commit time no later than 5 minutes after the server time, ' + 'found 2099-01-01T00:00:00.000Z';
    t.same(refused.body, {
      error: {
        code: 'RuleViolation',
        message: `ccr/commit-time: ${reason}`,
        findings: [{ rule: 'ccr/commit-time', message: reason }],
      },
    });
    t.equal((await s.api('GET', '/api/records', s.admin)).body.records.length, 0, 'nothing was created');
    t.equal((await ask(Math.floor(Date.now() / 1000))).status, 201, 'the same request dated now is accepted');
  },
);

t.test('a peer sending more than a push may carry is cut off, and nothing of it stays on disk', async (t) => {
  const cap = 1024 * 1024;
  const [a, b] = await sites(t, ['a', 'b'], [{ maxPushBytes: cap }, {}]);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  const gitdir = a!.s.server.context.records.path(rec.id as RecordId);
  const objects = await gitOk('/', ['--git-dir', gitdir, 'count-objects', '-v']);
  // 4 MiB that do not compress, in a file the layout does not even allow.
  const commit = await commitOnDisk(t, b!, rec.id, (w) => writeFileSync(`${w}/big.bin`, randomBytes(4 * cap)));
  const [round] = await syncAll(a!, 'b');
  t.equal(round!.outcome, 'refused-too-large');
  t.match(
    round!.detail,
    new RegExp(`^the peer sent more than ${cap} bytes \\(\\d+ when the fetch was stopped\\); nothing of it was kept$`),
  );
  t.notOk(await holds(gitdir, commit), 'the commit is not in our repository');
  t.same(extras(gitdir), [], 'the scratch folder is gone');
  t.equal(
    await gitOk('/', ['--git-dir', gitdir, 'count-objects', '-v']),
    objects,
    'the objects on disk are exactly as before',
  );
  t.equal(readdirSync(`${gitdir}/refs/ccr/peers/b`).join(), 'synced', 'no incoming ref');
});

t.test('a commit refused by a rule is not kept reachable or kept at all; an accepted one is brought in', async (t) => {
  const [a, b] = await sites(t, ['a', 'b']);
  const rec = await a!.s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'One.' } });
  await syncAll(a!, 'b');
  const gitdir = a!.s.server.context.records.path(rec.id as RecordId);
  // An older version kept the peer's main here: the next round removes it.
  await gitOk('/', ['--git-dir', gitdir, 'update-ref', 'refs/ccr/peers/b/incoming', (await mainAt(a!, rec.id))!]);
  const ledger = `communications/${rec.thread}/ledger.yaml`;
  const commit = await commitOnDisk(t, b!, rec.id, (w) =>
    writeFileSync(`${w}/${ledger}`, `${readFileSync(`${w}/${ledger}`, 'utf8')}#${'x'.repeat(70 * 1024)}\n`),
  );
  const [round] = await syncAll(a!, 'b');
  t.match(round, { outcome: 'refused-invalid', findings: [{ rule: 'ccr/blob-size' }] });
  t.notOk(await holds(gitdir, commit), 'the refused commit is not in our repository');
  t.notOk(existsSync(`${gitdir}/refs/ccr/peers/b/incoming`), 'no ref pins what a peer sent');
  t.same(extras(gitdir), []);

  const [a2, b2] = await sites(t, ['a', 'b']);
  const ok = await a2!.s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'One.' },
  });
  await syncAll(a2!, 'b');
  const work = `${tempDir(t)}/w`;
  await gitOk('/', ['clone', '-q', b2!.s.gitUrl(ok.id, b2!.s.admin), work]);
  await (
    await CoordinationService.at(work)
  ).addMessage(committer, 'Ward B', ok.thread!, { author: as(tom), body: 'Now.' });
  await gitOk(work, ['push', '-q', 'origin', 'main']);
  const good = (await gitOk(work, ['rev-parse', 'HEAD'])).trim();
  t.match(await syncAll(a2!, 'b'), [{ outcome: 'fast-forwarded' }]);
  const gitdir2 = a2!.s.server.context.records.path(ok.id as RecordId);
  t.equal(await mainAt(a2!, ok.id), good);
  t.equal(
    (await runGit(['--git-dir', gitdir2, 'fsck', '--full', '--strict', '--no-dangling'])).code,
    0,
    'git fsck is clean after the objects moved in',
  );
  t.same(extras(gitdir2), []);
});

t.test(
  "a peer's commits are judged on the validator threads within the push budget: past it they are refused, nothing kept",
  async (t) => {
    // A's budget is 1 ms, which no judgement meets (it starts git); C judges the same commits with the default 10 s.
    const [a, b, c] = await sites(t, ['a', 'b', 'c'], [{ validationBudgetMs: 1 }]);
    const rec = await b!.s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'One.' },
    });
    await syncAll(b!, 'a');
    await syncAll(b!, 'c');
    const work = `${tempDir(t)}/w`;
    await gitOk('/', ['clone', '-q', b!.s.gitUrl(rec.id, b!.s.admin), work]);
    await (
      await CoordinationService.at(work)
    ).addMessage(committer, 'Ward B', rec.thread!, { author: as(tom), body: 'Two.' });
    await gitOk(work, ['push', '-q', 'origin', 'main']);
    const pushed = (await gitOk(work, ['rev-parse', 'HEAD'])).trim();
    const before = await mainAt(a!, rec.id);
    const [round] = await syncAll(a!, 'b');
    t.match(round, { outcome: 'refused-invalid', findings: [{ rule: 'ccr/parse-budget' }] });
    t.match(
      round!.detail,
      /expected the peer's commits to be judged within 0.001 s, as a push is; it took longer and they are refused/,
    );
    t.equal(await mainAt(a!, rec.id), before, 'main at A is kept');
    const gitdir = a!.s.server.context.records.path(rec.id as RecordId);
    t.notOk(await holds(gitdir, pushed), "nothing of it is in A's repository");
    t.same(extras(gitdir), [], 'no scratch folder left');
    t.match(
      await syncAll(c!, 'b'),
      [{ outcome: 'fast-forwarded' }],
      'the same commits within the budget are brought in',
    );
    t.equal(await mainAt(c!, rec.id), pushed);
  },
);

t.test("a scratch folder a crash left in a record is removed on the record's first use", async (t) => {
  const s = await testServer(t);
  const rec = await s.record();
  const gitdir = s.server.context.records.path(rec.id as RecordId);
  const left = `${gitdir}/ccr-incoming-b-0badc0de`;
  await gitOk('/', ['init', '-q', '--bare', left]);
  const removed: string[] = [];
  const store = new RecordStore(s.server.context.records.root, (_id, r) => removed.push(...r));
  await new Promise((r) => setTimeout(r, 3100)); // leftovers only seconds old get a moment
  await store.open(rec.id as RecordId);
  t.same(removed, [left]);
  t.notOk(existsSync(left));
});

t.test("our site token never follows a peer's redirect, from git or from the API", async (t) => {
  const seen: Array<{ url: string; auth: string | undefined }> = [];
  const thief = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' }).end();
  });
  await new Promise<void>((r) => thief.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => thief.close(() => r())));
  const thiefUrl = `http://127.0.0.1:${(thief.address() as { port: number }).port}`;
  let mode: 'git' | 'api' = 'git';
  const redirector = createServer((req: IncomingMessage, res) => {
    req.resume();
    if (mode === 'api' && req.url?.includes('/info/refs')) return void res.writeHead(404).end('not found');
    res.writeHead(mode === 'git' ? 302 : 307, { Location: `${thiefUrl}${req.url}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => redirector.close(() => r())));
  const redirectorUrl = `http://127.0.0.1:${(redirector.address() as { port: number }).port}`;

  const a = await testServer(t);
  const rec = await a.record();
  const peer = {
    name: 'evil',
    url: redirectorUrl,
    user: 'site-a',
    token: 'ccr_secret-site-token',
    records: 'all' as const,
  };
  const ctx = { gitEnv: a.server.context.gitEnv, timeoutMs: 20_000, maxFetchBytes: 1024 * 1024 };
  const repo = (await a.server.context.records.open(rec.id as RecordId))!;
  t.equal((await syncRecord(ctx, repo, peer, rec.id as RecordId)).outcome, 'peer-down', 'git does not follow the 302');
  mode = 'api';
  const created = await syncRecord(ctx, repo, peer, rec.id as RecordId);
  t.match(
    created,
    { outcome: 'failed', detail: /the peer refused to create the record \(307 / },
    'the API call does not follow the 307',
  );
  t.same(
    seen.filter((s) => s.auth !== undefined),
    [],
    'the token never reached the redirect target',
  );

  // The credential helper answers only for the peer's own scheme and host.
  const fill = (input: string) =>
    runGit([...peerGitArgs(5000), 'credential', 'fill'], { env: peerGitEnv(ctx, peer), input, timeoutMs: 10_000 });
  const host = new URL(redirectorUrl).host;
  t.match(
    (await fill(`protocol=http\nhost=${host}\n\n`)).stdout.toString(),
    /password=ccr_secret-site-token/,
    'the peer gets its token',
  );
  for (const other of [
    `protocol=http\nhost=${new URL(thiefUrl).host}\n\n`,
    `protocol=https\nhost=${host}\n\n`,
    `protocol=http\nhost=evil.invalid\n\n`,
  ]) {
    const r = await fill(other);
    t.notMatch(r.stdout.toString(), /ccr_secret-site-token/, `no token for ${other.replace(/\n/g, ' ').trim()}`);
  }
});
