// kill -9 at random moments of a view update (a child process, test/views/updateChild.ts): the
// view left behind is always the view of some `main` commit as computed in memory, its map holds
// only right entries, git fsck is clean, `main` is untouched, and the next update finishes the
// same view as a build in one go.

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { participantReader } from '../../core/views/reader.js';
import { MAIN, readRef } from '../../git/refs.js';
import { LINE_BYTES } from '../../git/views/map.js';
import { MAP_FILE } from '../../git/views/store.js';
import { gitRun } from '../helpers/git.js';
import { RECORD, cast } from './history.js';
import { diskRecord, generatedHistory, memoryViews } from './repo.js';

const child = fileURLToPath(new URL('./updateChild.js', import.meta.url));

/** Run the child and kill it with SIGKILL once it printed `dots` dots (or finished); gives what it printed. */
function updateKilledAfter(data: string, participant: string, dots: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, data, participant], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if ((out.match(/\./g) ?? []).length >= dots) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`update child failed (${code}): ${err}`));
      else resolve(out);
    });
  });
}

t.test('a view update killed at any moment leaves a right view, and the next update finishes it', async (t) => {
  const h = await generatedHistory(160, 5);
  const r = await diskRecord(t, h);
  const john = participantReader(cast.john.participant_id);
  const right = await memoryViews(h, john);
  const views = new Set(right.values());
  const main = await readRef(r.record, MAIN);
  const dir = r.store.viewDir(RECORD, john.key);
  let rng = 11;
  const next = (n: number) => (rng = (rng * 1103515245 + 12345) % 2 ** 31) % n;
  for (let round = 0; round < 8; round++) {
    if (round % 3 === 0) await r.store.remove(RECORD, john.key);
    const out = await updateKilledAfter(r.data, john.key, next(12));
    t.equal(await readRef(r.record, MAIN), main, `round ${round}: main untouched`);
    const ref = await readRef(dir, MAIN).catch(() => null);
    const at = `round ${round} (${out.length} bytes printed)`;
    if (ref !== null) t.ok(views.has(ref), `${at}: the view is the view of a main commit`);
    const map = await fs.readFile(`${dir}/${MAP_FILE}`, 'latin1').catch(() => '');
    const lines = map
      .slice(0, map.length - (map.length % LINE_BYTES))
      .split('\n')
      .filter(Boolean);
    t.ok(
      lines.every((l) => right.get(l.slice(0, 40) as Oid) === l.slice(41)),
      `${at}: every whole map line is right`,
    );
    const fsck = ref === null ? null : await gitRun(dir, ['--git-dir', dir, 'fsck', '--no-dangling']);
    if (fsck) t.equal(fsck.status, 0, `${at}: fsck clean`);
  }
  const done = await r.store.update(RECORD, john);
  t.equal(done.view, right.get(h.head), 'the next update gives the view built in one go');
  t.equal((await gitRun(dir, ['--git-dir', dir, 'fsck', '--strict', '--no-dangling'])).status, 0);
});
