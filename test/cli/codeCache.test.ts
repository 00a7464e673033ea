// The bundled `ccr` runs its commands through V8's code cache (cli/codeCache.ts): the cache is
// written in the user's cache folder on a first run and used as it is on the next; a corrupt,
// truncated or foreign file changes nothing the command does and is written again; a cache folder
// that cannot be written, or CCR_CODE_CACHE=0, only means compiling every time.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

t.test('the code cache: written once, used, and replaced when it cannot be used', async (t) => {
  const dir = tempDir(t);
  const env = { XDG_CACHE_HOME: `${dir}/cache` };
  // A command that reads a record, run outside one: it loads the service and says where it is not.
  const run = (more: NodeJS.ProcessEnv = {}) => ccr(['thread', 'list'], { env: { ...env, ...more }, cwd: dir });
  const first = await run();
  t.equal(first.status, 2);
  t.match(first.stderr, /is not a git repository/);
  const names = readdirSync(`${dir}/cache/ccr`);
  t.equal(names.length, 1, 'one file, for this bundle and command');
  t.match(names[0], /^[0-9a-f]{32}-thread\.v8$/);
  const file = `${dir}/cache/ccr/${names[0]!}`;
  const good = readFileSync(file);
  t.ok(good.length > 1000, 'V8 wrote its code');

  const again = await run();
  t.same([again.status, again.stdout, again.stderr], [2, first.stdout, first.stderr], 'the same run from the cache');
  t.same(readFileSync(file), good, 'a cache V8 took is not written again');

  const bad: Array<[string, Buffer]> = [
    ['corrupt', Buffer.from('not a code cache at all')],
    ['truncated', good.subarray(0, good.length >> 1)],
    ['foreign (made for another script)', new Script('globalThis.x = 1 + 1;').createCachedData()],
  ];
  for (const [what, bytes] of bad) {
    writeFileSync(file, bytes);
    const r = await run();
    t.same([r.status, r.stdout, r.stderr], [2, first.stdout, first.stderr], `a ${what} file changes nothing`);
    t.notSame(readFileSync(file), bytes, `a ${what} file is written again`);
  }
  t.same(readdirSync(`${dir}/cache/ccr`), names, 'no temporary files left');

  // A cache folder that cannot be made (its parent is a file), and the cache turned off.
  writeFileSync(`${dir}/not-a-folder`, '');
  const blocked = await run({ XDG_CACHE_HOME: `${dir}/not-a-folder` });
  t.same(
    [blocked.status, blocked.stdout, blocked.stderr],
    [2, first.stdout, first.stderr],
    'no cache folder: no cache',
  );
  const off = await run({ XDG_CACHE_HOME: `${dir}/off`, CCR_CODE_CACHE: '0' });
  t.same([off.status, off.stdout, off.stderr], [2, first.stdout, first.stderr]);
  t.throws(() => readdirSync(`${dir}/off`), 'CCR_CODE_CACHE=0 writes nothing');
});
