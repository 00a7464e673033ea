// Per-principal quotas (issue 19, item 14): records, threads and bytes per period, from
// <data>/quotas.json or the defaults; the API refuses with 429 QuotaExceeded, a push with
// `ccr/quota` in its `remote:` lines; a refused creation leaves nothing on disk.

import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** Every folder and file under the records root, as paths. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() && !d.name.endsWith('.git')
      ? [`${prefix}${d.name}/`, ...tree(`${dir}/${d.name}`, `${prefix}${d.name}/`)]
      : [`${prefix}${d.name}`],
  );
}

t.test(
  'with the defaults, one participant gets 100 of 2,000 records asked for in a row; the others are refused with 429 and leave nothing',
  async (t) => {
    const s = await testServer(t);
    const { jane: janeCreds, tom: tomCreds } = await castPrincipals(s);
    const ask = (creds: typeof janeCreds, who: typeof jane) =>
      s.api('POST', '/api/records', creds, {
        clinical_id: clinicalId,
        care_location: place,
        thread: { participants: [who] },
      });
    const started = Date.now();
    const statuses = new Map<number, number>();
    let refusal: unknown;
    for (let i = 0; i < 2000; i++) {
      const r = await ask(janeCreds, jane);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 429) refusal ??= r.body;
    }
    t.same(
      Object.fromEntries(statuses),
      { 201: 100, 429: 1900 },
      `2,000 asked in ${Date.now() - started} ms: 100 created`,
    );
    t.match(refusal, {
      error: {
        code: 'QuotaExceeded',
        message:
          /^expected at most 100 records per 3600 s from jane, found 100 already and 1 more; try again in \d+ s$/,
      },
    });
    const root = s.server.context.records.root;
    const records = tree(root).filter((p) => p.endsWith('.git'));
    t.equal(records.length, 100, 'exactly the records created are on disk');
    t.same(
      tree(root).filter((p) => !p.endsWith('.git') && !records.some((r) => r.startsWith(p))),
      [],
      'no empty shard folder, no staging folder',
    );
    t.equal((await ask(tomCreds, tom)).status, 201, 'another participant is not held back');
    t.equal(
      (await s.api('POST', '/api/records', s.admin, { clinical_id: clinicalId, care_location: place })).status,
      201,
      'nor the admin',
    );
  },
);

t.test(
  'quotas.json sets the period and the limits; pushes that pass the thread or byte limit are refused with ccr/quota',
  async (t) => {
    const data = tempDir(t);
    writeFileSync(
      `${data}/quotas.json`,
      JSON.stringify({
        period_seconds: 600,
        kinds: { participant: { records: 2, threads: 3, bytes: null } },
        principals: { tom: { bytes: 20_000 } },
      }),
    );
    const s = await testServer(t, { data });
    const { jane: janeCreds, tom: tomCreds } = await castPrincipals(s);
    const make = () =>
      s.api('POST', '/api/records', janeCreds, {
        clinical_id: clinicalId,
        care_location: place,
        thread: { participants: [jane, tom] },
      });
    const first = (await make()).body.coordination_id as string;
    t.equal((await make()).status, 201);
    const third = await make();
    t.equal(third.status, 429);
    t.match(third.body.error.message, /expected at most 2 records per 600 s from jane/);

    // Two threads made so far; a push creating two more passes the limit of 3.
    const work = `${tempDir(t)}/w`;
    await gitOk('/', ['clone', '-q', s.gitUrl(first, janeCreds), work]);
    const svc = await CoordinationService.at(work);
    await svc.createThread(committer, place, [jane]);
    await svc.createThread(committer, place, [jane]);
    const refused = await gitRun(work, ['push', 'origin', 'main']);
    t.not(refused.status, 0);
    t.match(
      refused.stderr,
      /remote: ccr\/quota refs\/heads\/main: expected at most 3 threads per 600 s from jane, found 2 already and 2 more; try again in \d+ s/,
    );
    await gitOk(work, ['fetch', '-q', 'origin']);
    await gitOk(work, ['reset', '-q', '--hard', 'origin/main']);
    await svc.createThread(committer, place, [jane]);
    t.equal((await gitRun(work, ['push', '-q', 'origin', 'main'])).status, 0, 'one more thread is within the limit');
    await svc.addMessage(committer, place, (await svc.listThreads())[0]!.id, {
      author: as(jane),
      body: 'Messages are not threads.',
    });
    t.equal((await gitRun(work, ['push', '-q', 'origin', 'main'])).status, 0, 'a message is not a thread');

    // Tom's bytes: a message of random text past his 20,000 bytes is refused; a short one is not.
    const tomWork = `${tempDir(t)}/tom`;
    await gitOk('/', ['clone', '-q', s.gitUrl(first, tomCreds), tomWork]);
    const tomSvc = await CoordinationService.at(tomWork);
    const thread = (await tomSvc.listThreads()).find((x) =>
      x.participants.some((p) => p.participant_id === tom.participant_id),
    )!.id;
    const noise = randomBytes(24_000)
      .toString('base64')
      .replace(/(.{1000})/g, '$1\n');
    await tomSvc.addMessage(committer, place, thread, { author: as(tom), body: noise });
    const big = await gitRun(tomWork, ['push', 'origin', 'main']);
    t.match(
      big.stderr,
      /remote: ccr\/quota refs\/heads\/main: expected at most 20000 bytes per 600 s from tom, found 0 already and \d+ more/,
    );
    await gitOk(tomWork, ['reset', '-q', '--hard', 'origin/main']);
    await tomSvc.addMessage(committer, place, thread, { author: as(tom), body: 'Short.' });
    t.equal((await gitRun(tomWork, ['push', '-q', 'origin', 'main'])).status, 0, 'a short message fits');
  },
);

t.test('a quotas.json that does not make sense stops the start with a clear reason', async (t) => {
  const data = tempDir(t);
  writeFileSync(`${data}/quotas.json`, JSON.stringify({ kinds: { participant: { records: -1 } } }));
  await t.rejects(
    testServer(t, { data }),
    /quotas\.json kinds\.participant\.records: expected a whole number ≥ 0 or null \(no limit\)/,
  );
});
