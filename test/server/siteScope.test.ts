// A peer's `site` principal reaches only what sites.json shares with that peer (issue 19, item 7):
// git clone and push, the record list and summary, and record creation. A site principal that no
// peer names keeps SPEC 9's "every record".

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { RecordId } from '../../core/ids.js';
import { startServer } from '../../server/index.js';
import { syncRecord } from '../../sync/round.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { clinicalId, jane } from '../helpers/people.js';
import { ADMIN_TOKEN, testServer } from '../helpers/server.js';
import { freePort, siteWithPeers } from '../helpers/sites.js';
import { tempDir } from '../helpers/tmp.js';

t.test(
  'a site principal tied to a peer reads, pushes, lists and creates only the records shared with it',
  async (t) => {
    const [shared, missing] = [randomUUID(), randomUUID()].sort();
    const down = `http://127.0.0.1:${await freePort()}`;
    const b = await siteWithPeers(t, [
      { name: 'a', url: down, user: 'site-b', token: 'unused', records: [shared!, missing!], principal: 'site-a' },
    ]);
    const siteA = await b.principal({ name: 'site-a', kind: 'site' });
    const other = await b.principal({ name: 'site-z', kind: 'site' });
    const make = (id: string) =>
      b.api('POST', '/api/records', b.admin, {
        coordination_id: id,
        clinical_id: clinicalId,
        care_location: 'Ward B',
        thread: { participants: [jane] },
      });
    t.equal((await make(shared!)).status, 201);
    const hidden = (await b.record({ participants: [jane] })).id;

    t.equal(
      (await gitRun('/', ['clone', '-q', b.gitUrl(shared!, siteA), `${tempDir(t)}/ok`])).status,
      0,
      'the shared record clones',
    );
    const refused = await gitRun('/', ['clone', '-q', b.gitUrl(hidden, siteA), `${tempDir(t)}/no`]);
    t.not(refused.status, 0, 'another record does not');
    t.match(refused.stderr, /not found/);
    const work = `${tempDir(t)}/push`;
    await gitOk('/', ['clone', '-q', b.gitUrl(hidden, b.admin), work]);
    const pushed = await gitRun(work, ['push', b.gitUrl(hidden, siteA), 'main']);
    t.not(pushed.status, 0, 'nor takes a push');
    t.match(pushed.stderr, /not found/);

    t.same(
      (await b.api('GET', '/api/records', siteA)).body,
      { records: [shared] },
      'the list holds only what is shared and exists',
    );
    t.same((await b.api('GET', '/api/records?limit=1', siteA)).body, { records: [shared] });
    t.equal(
      (await b.api('GET', `/api/records/${hidden}`, siteA)).status,
      404,
      'another record is missing, as for a participant',
    );
    t.equal((await b.api('GET', `/api/records/${shared}`, siteA)).status, 200);

    const create = (id: string) =>
      b.api('POST', '/api/records', siteA, { coordination_id: id, clinical_id: clinicalId, care_location: 'Ward A' });
    const notShared = await create(randomUUID());
    t.equal(notShared.status, 403);
    t.match(notShared.body, {
      error: { code: 'Forbidden', message: /site principal site-a creates only records shared with its site/ },
    });
    t.equal(
      (await b.api('POST', '/api/records', siteA, { clinical_id: clinicalId, care_location: 'Ward A' })).status,
      403,
      'nor a record of a new id',
    );
    t.equal((await create(missing!)).status, 201, 'a shared record it does not hold yet is created');
    t.same((await b.api('GET', '/api/records', siteA)).body, { records: [shared, missing] });

    // SPEC 9 for a site principal no peer names: every record.
    t.equal((await b.api('GET', '/api/records', other)).body.records.length, 3);
    t.equal((await gitRun('/', ['clone', '-q', b.gitUrl(hidden, other), `${tempDir(t)}/z`])).status, 0);
  },
);

t.test('a sync round of the tied peer works for what is shared with it', async (t) => {
  const a = await testServer(t);
  const rec = await a.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'Shared.' } });
  const b = await siteWithPeers(t, [
    { name: 'a', url: a.url, user: 'site-b', token: 'unused', records: [rec.id], principal: 'site-a' },
  ]);
  const creds = await b.principal({ name: 'site-a', kind: 'site' });
  const peer = { name: 'b', url: b.url, user: creds.name, token: creds.token, records: 'all' as const };
  const ctx = { gitEnv: a.server.context.gitEnv, timeoutMs: 30_000, maxFetchBytes: 1 << 20 };
  const round = (id: string) =>
    a.server.context.records.open(id as RecordId).then((repo) => syncRecord(ctx, repo!, peer, id as RecordId));
  t.match(await round(rec.id), { outcome: 'created-at-peer' });
  t.match(await round(rec.id), { outcome: 'in-sync' });
  const other = await a.record();
  t.match(
    await round(other.id),
    { outcome: 'failed', detail: /the peer refused to create the record \(403 / },
    'B does not take a record it does not share with A',
  );
});

t.test('sites.json with a list of records and no principal for the peer is refused at start', async (t) => {
  const data = tempDir(t);
  writeFileSync(
    `${data}/sites.json`,
    JSON.stringify({
      peers: [{ name: 'a', url: 'http://127.0.0.1:1', user: 'x', token: 'y', records: [randomUUID()] }],
    }),
  );
  await t.rejects(
    startServer({ data, port: 0, adminToken: ADMIN_TOKEN, quiet: true }),
    /sites\.json peer "a": expected principal \(the name of the peer's site principal here\) with a list of records/,
  );
});
