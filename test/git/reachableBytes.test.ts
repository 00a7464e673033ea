// The reachability sets bounded in bytes (issue 17): sets of object ids filled past the bound
// are forgotten, least recently used first, so the bytes held stay under it.

import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { BYTES_PER_ID, Reachability } from '../../git/reachable.js';
import { gitEnv } from '../../git/run.js';
import { gitOk } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

t.test('sets of object ids stay under the bound in bytes', async (t) => {
  const env = gitEnv();
  const repos: Array<{ gitdir: string; tip: Oid; blob: string }> = [];
  for (let r = 0; r < 4; r++) {
    const repo = tempDir(t);
    await gitOk(repo, ['init', '-q', '--initial-branch=main']);
    for (let i = 0; i < 5; i++) writeFileSync(`${repo}/f${i}`, `${r} ${i}\n`);
    await gitOk(repo, ['add', '.']);
    await gitOk(repo, ['commit', '-q', '-m', 'c']);
    const tip = (await gitOk(repo, ['rev-parse', 'HEAD'])).trim() as Oid;
    repos.push({ gitdir: `${repo}/.git`, tip, blob: (await gitOk(repo, ['rev-parse', 'HEAD:f0'])).trim() });
  }
  // Each set holds 7 ids (a commit, a tree, five blobs): room for two sets.
  const bound = 15 * BYTES_PER_ID;
  const r = new Reachability(bound);
  for (const { gitdir, tip, blob } of repos) {
    t.same(await r.unreachable(gitdir, [tip], [blob], env), [], 'a blob of the tip is reachable');
    t.ok(r.bytes <= bound, `${r.bytes} bytes held, within ${bound}`);
  }
  t.equal(r.bytes, 14 * BYTES_PER_ID, 'the two most recent sets are kept');
});
