// Issues 19.5 and 19.6 with two real sites. A deterministic merge used to write an invalid ledger
// (two sites each removed a different participant of a two-person thread: `participants: []`),
// and the same message id with other text at two sites stopped every later round. Now the merge
// keeps a thread's last participants and its files keep the file rules; a pair of blocks with one
// id is kept whole, and later messages flow again.

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Fhir } from 'fhir';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import { appendMessages, parseMessages } from '../../core/messages/grammar.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, john, tom } from '../helpers/people.js';
import type { Creds } from '../helpers/server.js';
import { fileAt, mainAt, sites, syncAll, type Site } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

async function cloneAt(t: Test, site: Site, id: string, creds: Creds = site.s.admin): Promise<string> {
  const dir = `${tempDir(t)}/w`;
  await gitOk('/', ['clone', '-q', site.s.gitUrl(id, creds), dir]);
  return dir;
}

async function push(dir: string): Promise<void> {
  const r = await gitRun(dir, ['push', '-q', 'origin', 'main']);
  if (r.status !== 0) throw new Error(r.stderr);
}

t.test(
  'two sites each remove a different participant of a two-person thread: the merge keeps both, and the rules hold after it',
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    const rec = await a!.s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'Start.' },
    });
    await syncAll(a!, 'b');
    for (const [site, by, gone] of [
      [a!, jane, tom],
      [b!, tom, jane],
    ] as const) {
      const dir = await cloneAt(t, site, rec.id);
      const svc = await CoordinationService.at(dir);
      await svc.updateThreadLedger(committer, `Ward at ${site.name}`, rec.thread!, {
        by: as(by),
        removeParticipants: [gone.participant_id],
      });
      await push(dir);
    }
    t.match(await syncAll(a!, 'b'), [{ outcome: 'merged' }]);
    t.equal(await mainAt(a!, rec.id), await mainAt(b!, rec.id), 'both sites hold the same merge');
    const ledger = await fileAt(a!, rec.id, `communications/${rec.thread}/ledger.yaml`);
    t.match(ledger, jane.participant_id, 'Jane stays');
    t.match(ledger, tom.participant_id, 'Tom stays: the thread keeps the participants either side still lists');
    for (const site of [a!, b!]) {
      const summary = await site.s.api('GET', `/api/records/${rec.id}`, site.s.admin);
      t.equal(summary.status, 200, `the record reads at ${site.name}`);
      t.equal(summary.body.threads[0].participants.length, 2);
      const verify = await ccr(['verify', site.s.server.context.records.path(rec.id as never)]);
      t.equal(verify.status, 0, `ccr verify is clean at ${site.name}: ${verify.stdout}`);
    }

    // The next push changes participants and sensitivity with no system message: judged, refused.
    const dir = await cloneAt(t, a!, rec.id);
    const file = `${dir}/communications/${rec.thread}/ledger.yaml`;
    const withoutTom = readFileSync(file, 'utf8').replace(/  - participant_id: a1d3c5e7[^]*?display_name: .*\n/, '');
    writeFileSync(file, withoutTom.replace('sensitivity: standard', 'sensitivity: restricted'));
    await gitOk(dir, ['commit', '-qam', 'coordination:update: Updated thread ledger\n\nCare-Location: A']);
    const refused = await gitRun(dir, ['push', 'origin', 'main']);
    t.not(refused.status, 0);
    t.match(refused.stderr, /remote: ccr\/ledger-system-message /);
  },
);

/** As the patient at a site: clone, append a block with a chosen id, push. */
async function postWithId(
  t: Test,
  site: Site,
  creds: Creds,
  id: string,
  thread: string,
  messageId: string,
  body: string,
): Promise<void> {
  const dir = await cloneAt(t, site, id, creds);
  const time = new Date().toISOString() as Timestamp;
  const messages = `${dir}/communications/${thread}/messages.md`;
  const block = {
    id: messageId as MessageId,
    type: 'patient' as const,
    timestamp: time,
    authorId: john.participant_id,
    author: john.display_name,
    body,
  };
  writeFileSync(messages, appendMessages(readFileSync(messages, 'utf8'), [block]));
  const ledger = `${dir}/communications/${thread}/ledger.yaml`;
  writeFileSync(ledger, readFileSync(ledger, 'utf8').replace(/^last_updated_at: .*$/m, `last_updated_at: ${time}`));
  await gitOk(dir, [
    'commit',
    '-qam',
    `coordination:update: Added message to thread\n\nCare-Location: Home via ${site.name}`,
  ]);
  await push(dir);
}

t.test(
  'the same message id with other text accepted at two sites at once: both blocks reach both sites, and later messages flow',
  async (t) => {
    const [a, b] = await sites(t, ['a', 'b']);
    const patient = { participant_id: john.participant_id, role: john.role, display_name: john.display_name };
    const johnAt = {
      a: await a!.s.principal({ name: 'john', kind: 'participant', ...patient }),
      b: await b!.s.principal({ name: 'john', kind: 'participant', ...patient }),
    };
    const rec = await a!.s.record({
      participants: [jane, john],
      message: { author_id: jane.participant_id, body: 'How are you feeling?' },
    });
    await syncAll(a!, 'b');
    const same = randomUUID();
    await postWithId(t, a!, johnAt.a, rec.id, rec.thread!, same, 'Better, thank you.');
    await postWithId(t, b!, johnAt.b, rec.id, rec.thread!, same, 'Worse since last night.');

    t.match(await syncAll(a!, 'b'), [{ outcome: 'merged' }], 'no conflict');
    t.equal(await mainAt(a!, rec.id), await mainAt(b!, rec.id), 'both sites hold the same merge');
    const path = `communications/${rec.thread}/messages.md`;
    const merged = await fileAt(a!, rec.id, path);
    t.equal(await fileAt(b!, rec.id, path), merged, 'byte-identical at both sites');
    const pair = parseMessages(merged)
      .messages.filter((m) => m.id === same)
      .map((m) => m.body)
      .sort();
    t.same(pair, ['Better, thank you.', 'Worse since last night.'], 'both blocks are kept, byte for byte');

    // Later messages at either site reach the other: the record is not stuck.
    const dir = await cloneAt(t, b!, rec.id);
    const svc = await CoordinationService.at(dir);
    await svc.addMessage(committer, 'Ward at b', rec.thread!, { author: as(jane), body: 'Seen at B after the pair.' });
    await push(dir);
    t.match(await syncAll(a!, 'b'), [{ outcome: 'fast-forwarded' }]);
    t.match(await fileAt(a!, rec.id, path), 'Seen at B after the pair.');
    for (const site of [a!, b!]) {
      const verify = await ccr(['verify', site.s.server.context.records.path(rec.id as never)]);
      t.equal(verify.status, 0, `ccr verify is clean at ${site.name}: ${verify.stdout}`);
    }
    const home = tempDir(t);
    const wc = `${home}/wc`;
    await gitOk('/', ['clone', '-q', a!.s.gitUrl(rec.id, a!.s.admin), wc]);
    const exported = await ccr(['export', 'fhir', '--out', `${home}/b.json`], { cwd: wc });
    t.equal(exported.status, 0, exported.stderr);
    const bundle = JSON.parse(readFileSync(`${home}/b.json`, 'utf8'));
    const urls = bundle.entry.map((e: { fullUrl: string }) => e.fullUrl);
    t.equal(new Set(urls).size, urls.length, 'every Communication has its own fullUrl');
    t.ok(new Fhir().validate(bundle, { errorOnUnexpected: true }).valid, 'the export is valid FHIR R4');
  },
);
