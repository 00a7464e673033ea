// What CCR's own writers fsync, watched with strace: `objects/` when it gains a fan-out folder,
// and every file of a new record before the rename that makes it visible (and the folders that
// gain it). Skipped where strace is missing.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import t from 'tap';
import { initRepository } from '../../git/repository.js';
import { root } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const noStrace = spawnSync('strace', ['-V']).status === 0 ? false : 'strace is not installed';

/** Run the probe under strace; gives what it printed and the traced calls, in order. */
function traced(
  t: { teardown(fn: () => void): void },
  args: string[],
): { out: Record<string, unknown>; calls: string[] } {
  const log = `${tempDir(t)}/strace.log`;
  const calls = 'trace=fsync,fdatasync,rename,renameat,renameat2';
  const probe = `${root}/dist/test/helpers/fsyncProbe.js`;
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-e', calls, '-o', log, process.execPath, probe, ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return { out: JSON.parse(r.stdout) as Record<string, unknown>, calls: readFileSync(log, 'utf8').split('\n') };
}

/** The paths fsynced, in order (from `fsync(12</path>)`). */
const fsynced = (calls: string[]) => calls.flatMap((l) => /\b(?:fsync|fdatasync)\(\d+<([^>]+)>/.exec(l)?.[1] ?? []);

/** Every file and folder under a folder, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const rel = `${prefix}${name}`;
    return statSync(`${dir}/${name}`).isDirectory() ? [rel, ...walk(`${dir}/${name}`, `${rel}/`)] : [rel];
  });
}

t.test('objects/ is fsynced when it gains a fan-out folder, and only then', { skip: noStrace }, async (t) => {
  const gitdir = `${tempDir(t)}/r.git`;
  await initRepository(gitdir, true);
  const { out, calls } = traced(t, ['objects', gitdir]);
  const first = out['first'] as string[];
  t.ok(first.includes(`${gitdir}/objects`), 'the first write reports objects/ synced');
  t.notOk(
    (out['second'] as string[]).includes(`${gitdir}/objects`),
    'a write into an existing fan-out folder does not',
  );
  const synced = fsynced(calls);
  t.equal(synced.filter((p) => p === `${gitdir}/objects`).length, 1, 'objects/ was fsynced once');
  const fanouts = first.filter((p) => p !== `${gitdir}/objects`);
  t.equal(fanouts.length, 2);
  for (const f of fanouts) {
    t.ok(
      synced.indexOf(f) !== -1 && synced.indexOf(f) < synced.indexOf(`${gitdir}/objects`),
      `${f.slice(-10)} synced, before objects/`,
    );
  }
});

t.test("a new record's staging files are fsynced before the rename that shows it", { skip: noStrace }, async (t) => {
  const data = tempDir(t);
  const { out, calls } = traced(t, ['record', data]);
  const gitdir = out['gitdir'] as string;
  const rename = /rename\w*\(.*"([^"]*\/\.tmp-[0-9a-f-]{36}-[0-9a-f]{8})"/;
  const renameAt = calls.findIndex((l) => rename.test(l));
  t.ok(renameAt > 0, 'the staging folder is renamed into place');
  const staging = rename.exec(calls[renameAt]!)![1]!;
  const before = new Set(fsynced(calls.slice(0, renameAt)));
  const missing = walk(gitdir).filter((rel) => !before.has(`${staging}/${rel}`));
  t.same(
    missing,
    [],
    `every file and folder of the record (${walk(gitdir).length}) was fsynced in the staging folder first`,
  );
  t.ok(before.has(staging), 'and the staging folder itself');
  const after = fsynced(calls.slice(renameAt));
  const s2 = gitdir.slice(0, gitdir.lastIndexOf('/'));
  const s1 = s2.slice(0, s2.lastIndexOf('/'));
  for (const folder of [s2, s1, `${data}/coordination`]) {
    t.ok(after.includes(folder), `${folder.slice(data.length)} (it gained an entry) is fsynced after the rename`);
  }
});
