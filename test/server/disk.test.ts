// Storage grows by what was added (issue 19, item 13): many small appends in one push to a large
// thread are kept as the pack the client sent (deltas, and one full copy of the thread git adds to
// complete it), not as one full copy of the file per commit; the server's maintenance (its daily
// full gc) then folds the packs into one with deltas between versions.

import { readdirSync, statSync, utimesSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import type { RecordId } from '../../core/ids.js';
import { Maintenance } from '../../server/maintenance.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { appendMany, prose } from '../../bench/fixtures.js';

/** Bytes of the files under a folder. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const d of readdirSync(dir, { withFileTypes: true }))
    total += d.isDirectory() ? bytesUnder(`${dir}/${d.name}`) : statSync(`${dir}/${d.name}`).size;
  return total;
}

t.test(
  '16 tiny appends in one push to a 1 MiB thread add one compressed copy at most, and kilobytes once packed',
  async (t) => {
    // The server's own gc stays out of the way (on a busy machine it would fold the packs part-way
    // through, leaving the last push's pack beside the folded one); the test runs the same gc below.
    const s = await testServer(t, { maintenancePauseMs: 3_600_000 });
    const rec = await s.record({ participants: [jane] });
    const work = `${tempDir(t)}/w`;
    await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), work]);
    const svc = await CoordinationService.at(work);
    await appendMany(svc, rec.thread!, 300, (i) => prose(i + 1, 4000));
    await gitOk(work, ['push', '-q', 'origin', 'main']);
    const objects = `${s.server.context.records.path(rec.id as RecordId)}/objects`;
    const thread = statSync(`${work}/communications/${rec.thread}/messages.md`).size;
    t.ok(thread > 1024 * 1024, `the thread holds ${thread} bytes`);
    const start = bytesUnder(objects);
    for (let round = 1; round <= 9; round++) {
      const before = bytesUnder(objects);
      for (let i = 0; i < 16; i++)
        await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: `Noted ${round}.${i}.` });
      await gitOk(work, ['push', '-q', 'origin', 'main']);
      const added = bytesUnder(objects) - before;
      t.ok(added < thread / 3, `push ${round} of 16 appends added ${added} bytes (a thread of ${thread})`);
    }
    const gitdir = s.server.context.records.path(rec.id as RecordId);
    // Made two days ago, so that the look is its full gc.
    const twoDays = (Date.now() - 2 * 24 * 3600_000) / 1000;
    utimesSync(`${gitdir}/HEAD`, twoDays, twoDays);
    await new Maintenance(
      () => gitdir,
      s.server.context.gitEnv,
      () => undefined,
      0,
    ).run(rec.id as RecordId);
    t.equal(readdirSync(`${objects}/pack`).filter((f) => f.endsWith('.pack')).length, 1, 'one pack after the gc');
    const added = bytesUnder(objects) - start;
    t.ok(added < 256 * 1024, `after the gc, 144 appends in 9 pushes hold ${added} bytes in all`);
    t.equal((await gitOk(gitdir, ['--git-dir', gitdir, 'fsck', '--no-dangling'])).trim(), '', 'git fsck is clean');
  },
);
