// Benchmark: the storage upkeep a push costs as a record grows (server/maintenance.ts). A record of
// H one-message commits (threads of 100) gets P one-message pushes (each a pack, as the server keeps
// them), the upkeep run after each (a record written to less often than the pause). Baseline, in
// the same run on a copy of the same record: `git gc --auto` at the server's earlier thresholds
// (all packs folded into one past 8 of them, as git's own automatic gc does past 50), whose work
// grows with the record's history. Prints the upkeep's CPU a push, the packs and bytes left, and
// the time of a clone of the result.
// Usage: node dist/bench/maintenance.js [history commits] [pushes]

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type { RecordId } from '../core/ids.js';
import { installGitConfig } from '../git/config.js';
import { Maintenance } from '../server/maintenance.js';
import { growingThreads } from './fixtures.js';
import { procTimes, progress, report, scratch, time } from './util.js';

const history = Number(process.argv[2] ?? 5000);
const pushes = Number(process.argv[3] ?? 40);
const dir = scratch('maintenance');
mkdirSync(`${dir}/hooks`);
const env = {
  ...(await installGitConfig(`${dir}/gitconfig`, { hooksPath: `${dir}/hooks`, maxInputBytes: 1 << 30 })),
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@ccr.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@ccr.invalid',
};
const git = (cwd: string, args: string[], input = '') =>
  execFileSync('git', args, { cwd, env, input, encoding: 'utf8', maxBuffer: 1 << 30 });
/** The CPU time of this process's reaped children so far, ms. */
const childCpu = () => procTimes('/proc/self/stat').children;

process.stderr.write(`  a record of ${history} messages\n`);
const work = `${dir}/w`;
git(dir, ['init', '-q', '-b', 'main', work]);
// Messages go to threads in turn, 100 to a thread, as a record holds many conversations.
const { append, history: made } = growingThreads(Math.max(1, Math.ceil(history / 100)));
const stream = made(history, (i) => `A few sentences about the patient and what was agreed, number ${i}.`);
git(work, ['fast-import', '--quiet'], stream);
git(work, ['checkout', '-q', 'main']);
git(dir, ['init', '-q', '--bare', '-b', 'main', 'base.git']);
git(work, ['push', '-q', `${dir}/base.git`, 'main']);
git(`${dir}/base.git`, ['gc', '--quiet']);
writeFileSync(`${dir}/base.git/ccr-gc`, 'now\n');

const ways = {
  'git gc --auto at the earlier thresholds (8 packs)': (gitdir: string) => {
    git(gitdir, [
      '-c',
      'gc.auto=1000',
      '-c',
      'gc.autoPackLimit=8',
      '-c',
      'gc.autoDetach=false',
      'gc',
      '--auto',
      '--quiet',
    ]);
    return Promise.resolve();
  },
  'CCR maintenance (geometric roll-up, full gc daily)': (gitdir: string) =>
    new Maintenance(
      () => gitdir,
      env,
      () => undefined,
      0,
    ).run('bench' as RecordId),
};
const gitdirs = Object.keys(ways).map((_, i) => `${dir}/r${i}.git`);
for (const g of gitdirs) cpSync(`${dir}/base.git`, g, { recursive: true });

const cpu = gitdirs.map(() => 0);
for (let p = 1; p <= pushes; p++) {
  const { path, text } = append(history + p, 'One more message, pushed on its own.');
  writeFileSync(`${work}/${path}`, text);
  git(work, ['commit', '-q', '-a', '-m', 'm']);
  for (const [i, run] of Object.values(ways).entries()) {
    git(work, ['push', '-q', gitdirs[i]!, 'main']);
    const before = childCpu();
    await run(gitdirs[i]!);
    cpu[i]! += childCpu() - before;
  }
  progress('pushes', p, pushes);
}

const bytesUnder = (d: string): number =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? bytesUnder(`${d}/${e.name}`) : statSync(`${d}/${e.name}`).size),
    0,
  );
console.log(`Storage upkeep after each of ${pushes} one-message pushes to a record of ${history} messages`);
const names = Object.keys(ways);
const per = cpu.map((c) => c / pushes);
const base = { name: 'gc --auto', value: per[0]! };
for (const [i, name] of names.entries()) {
  const gitdir = gitdirs[i]!;
  report(`${name}: CPU a push`, per[i]!, 'ms', i ? base : undefined);
  const packs = readdirSync(`${gitdir}/objects/pack`).filter((f) => f.endsWith('.pack')).length;
  report(`  packs left`, packs, '');
  report(`  objects, MiB`, bytesUnder(`${gitdir}/objects`) / (1 << 20), 'MiB');
  const clone = await time(async () =>
    git(dir, ['clone', '-q', '--bare', '--no-local', gitdir, `${dir}/clone${i}.git`]),
  );
  report(`  a clone of it`, clone, 'ms');
}
