// The object store's memory counted in bytes (issue 17): isomorphic-git's pack cache (the index,
// the pack once read) and the recent objects, so a worker thread's budget sees them; dropping
// the pack cache gives its bytes back and reads still work.

import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { IsoGitSource, ObjectCache } from '../../git/store.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

t.test('an object cache filled past its bound holds at most its bound', async (t) => {
  const c = new ObjectCache(10_000);
  for (let i = 0; i < 100; i++) {
    c.put(i.toString(16).padStart(40, '0') as Oid, { type: 'blob', content: new Uint8Array(900) });
    t.ok(c.bytes <= 10_000);
  }
  t.equal(c.bytes, 9_900);
});

t.test('a source counts the pack it read and lets go of it on dropPacks', async (t) => {
  const repo = tempDir(t);
  await gitOk(repo, ['init', '-q', '--initial-branch=main']);
  for (let i = 0; i < 20; i++) {
    writeFileSync(`${repo}/f${i}`, `${'line of text\n'.repeat(200)}${i}\n`);
    await gitOk(repo, ['add', `f${i}`]);
    await gitOk(repo, ['commit', '-q', '-m', `c${i}`]);
  }
  await gitOk(repo, ['repack', '-adq']);
  const head = (await gitOk(repo, ['rev-parse', 'HEAD'])).trim() as Oid;
  const blob = (await gitOk(repo, ['rev-parse', 'HEAD:f3'])).trim() as Oid;
  const packSize = Number(
    (await gitOk(repo, ['count-objects', '-v']))
      .split('\n')
      .find((l) => l.startsWith('size-pack:'))!
      .split(' ')[1],
  );
  const s = new IsoGitSource(`${repo}/.git`, 1024 * 1024, true);
  t.equal(s.bytes, 0, 'nothing read, nothing held');
  t.ok(await s.read(head));
  t.ok(await s.read(blob));
  t.ok(s.bytes >= packSize * 1024 * 0.5, `the pack (${packSize} KiB on disk) is counted: ${s.bytes} bytes`);
  const withPack = s.bytes;
  s.dropPacks();
  t.ok(s.bytes < withPack, 'dropping the pack cache gives its bytes back');
  t.ok(await s.read((await gitOk(repo, ['rev-parse', 'HEAD:f7'])).trim() as Oid), 'and reads still work');
});
