// Benchmark: disk per push. A thread of about 8 MiB, then three pushes of 16 one-line appends each
// (one commit per message), measured as bytes added to the record's objects: with git's default
// of unpacking pushes under 100 objects into loose objects (one full copy of the thread per
// commit) against CCR's configuration (pushes kept as packs, receive.unpackLimit = 1), and CCR's
// after the background maintenance's full gc has folded the packs (server/maintenance.ts).
// Usage: node dist/bench/disk.js [thread MiB]

import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { CoordinationService } from '../index.js';
import type { RecordId } from '../core/ids.js';
import { gitEnv } from '../git/run.js';
import { renderGitConfig } from '../git/config.js';
import { hooksDirOf } from '../git/hooks.js';
import { apiRecord, appendMany, author, benchServer, gitCli, jane, place, prose } from './fixtures.js';
import { report, scratch } from './util.js';

const mib = Number(process.argv[2] ?? 8);
const dir = scratch('disk');
const bytesUnder = (d: string): number =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? bytesUnder(`${d}/${e.name}`) : statSync(`${d}/${e.name}`).size),
    0,
  );
// The first push brings thousands of messages at once: give the validator time on a busy machine.
const server = await benchServer(`${dir}/data`, { validationBudgetMs: 300_000 });
const ccrEnv = server.context.gitEnv;
const looseConfig = `${dir}/gitconfig-loose`;
writeFileSync(
  looseConfig,
  renderGitConfig({ hooksPath: hooksDirOf(`${dir}/data`), maxInputBytes: server.context.options.maxPushBytes }).replace(
    'unpackLimit = 1',
    'unpackLimit = 100',
  ),
);
console.log(`16 one-message commits per push into a thread of ~${mib} MiB: bytes added to the record`);
for (const [mode, env] of [
  ['git default (unpacked)', gitEnv(looseConfig)],
  ['CCR (kept packed)', ccrEnv],
] as const) {
  server.context.gitEnv = env;
  const rec = await apiRecord(server);
  const work = `${dir}/${mode.slice(0, 3)}`;
  await gitCli('/', ['clone', '-q', rec.url, work]);
  const svc = await CoordinationService.at(work);
  await appendMany(svc, rec.thread, Math.round((mib * 1024 * 1024) / 4250), (i) => prose(i + 1, 4000));
  await gitCli(work, ['push', '-q', 'origin', 'main']);
  const objects = `${server.context.records.path(rec.id as RecordId)}/objects`;
  const start = bytesUnder(objects);
  for (let push = 1; push <= 3; push++) {
    const before = bytesUnder(objects);
    for (let i = 0; i < 16; i++)
      await svc.addMessage(author, place, rec.thread, {
        author: { id: jane.participant_id, name: jane.display_name },
        body: `Noted ${push}.${i}.`,
      });
    await gitCli(work, ['push', '-q', 'origin', 'main']);
    report(`${mode}, push ${push}`, (bytesUnder(objects) - before) / (1024 * 1024), 'MiB');
  }
  if (env === ccrEnv) {
    const gitdir = server.context.records.path(rec.id as RecordId);
    await gitCli(gitdir, ['--git-dir', gitdir, 'repack', '-A', '-d', '-q'], {
      GIT_CONFIG_GLOBAL: ccrEnv['GIT_CONFIG_GLOBAL']!,
    });
    report(`${mode}, the 3 pushes once packs are folded (gc)`, (bytesUnder(objects) - start) / (1024 * 1024), 'MiB');
  }
}
await server.close();
