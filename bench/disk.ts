// Benchmark: disk per push. A thread of about 8 MiB, then three pushes of 16 one-line appends each
// (one commit per message), measured as bytes added to the record's objects: with git's default
// of unpacking pushes under 100 objects into loose objects (one full copy of the thread per
// commit) against CCR's configuration (pushes kept as packs, receive.unpackLimit = 1), and CCR's
// after the background `git gc --auto` has folded the packs (server/maintenance.ts).
// Usage: node dist/bench/disk.js [thread MiB]

import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { CoordinationService } from '../index.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { formatTimestamp, newUuid, type MessageId, type ParticipantId, type RecordId, type Timestamp } from '../core/ids.js';
import { renderLedger } from '../core/ledger.js';
import { appendMessages, type Message } from '../core/messages/grammar.js';
import { gitEnv } from '../git/run.js';
import { renderGitConfig } from '../server/gitConfig.js';
import { HOOKS_DIR } from '../server/index.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import { files } from '../service/record.js';
import { apiRecord, author, benchServer, gitCli, jane, place } from './fixtures.js';
import { report, scratch } from './util.js';

const mib = Number(process.argv[2] ?? 8);
const dir = scratch('disk');
const bytesUnder = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? bytesUnder(`${d}/${e.name}`) : statSync(`${d}/${e.name}`).size), 0);
const words = ['patient', 'reviewed', 'stable', 'observations', 'plan', 'continue', 'medication', 'dose', 'ward', 'reassess', 'bloods', 'pending', 'chest', 'clear', 'pain', 'mobilising', 'discharge', 'family', 'informed', 'morning'];
/** Text that compresses about as clinical prose does. */
function prose(seed: number, length: number): string {
  let x = seed || 1;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += `${words[x % words.length]}${x % 7 === 0 ? '.\n' : ' '}`;
  }
  return out.trim();
}

async function grow(svc: CoordinationService, thread: string, count: number): Promise<void> {
  const start = Date.now();
  const messages: Message[] = Array.from({ length: count }, (_, i) => ({
    id: newUuid() as MessageId, type: 'clinician', timestamp: formatTimestamp(start + i) as Timestamp,
    authorId: jane.participant_id as ParticipantId, author: jane.display_name, body: prose(i + 1, 4000),
  }));
  await svc.record.write(author, async (head) => {
    const ledger = await svc.record.ledger(head!, thread);
    return {
      files: files({
        [threadFilePath(thread, MESSAGES_FILE)]: appendMessages(await svc.record.messagesText(head!, thread), messages),
        [threadFilePath(thread, LEDGER_FILE)]: renderLedger({ ...ledger, last_updated_at: messages[messages.length - 1]!.timestamp }),
      }),
      message: renderCommitMessage(subjects.addMessage, place), result: null,
    };
  });
}

// The first push brings thousands of messages at once: give the validator time on a busy machine.
const server = await benchServer(`${dir}/data`, { validationBudgetMs: 300_000 });
const ccrEnv = server.context.gitEnv;
const looseConfig = `${dir}/gitconfig-loose`;
writeFileSync(looseConfig, renderGitConfig({ hooksPath: HOOKS_DIR, maxInputBytes: server.context.options.maxPushBytes }).replace('unpackLimit = 1', 'unpackLimit = 100'));
console.log(`16 one-message commits per push into a thread of ~${mib} MiB: bytes added to the record`);
for (const [mode, env] of [['git default (unpacked)', gitEnv(looseConfig)], ['CCR (kept packed)', ccrEnv]] as const) {
  server.context.gitEnv = env;
  const rec = await apiRecord(server);
  const work = `${dir}/${mode.slice(0, 3)}`;
  await gitCli('/', ['clone', '-q', rec.url, work]);
  const svc = await CoordinationService.at(work);
  await grow(svc, rec.thread, Math.round((mib * 1024 * 1024) / 4250));
  await gitCli(work, ['push', '-q', 'origin', 'main']);
  const objects = `${server.context.records.path(rec.id as RecordId)}/objects`;
  const start = bytesUnder(objects);
  for (let push = 1; push <= 3; push++) {
    const before = bytesUnder(objects);
    for (let i = 0; i < 16; i++) await svc.addMessage(author, place, rec.thread, { author: { id: jane.participant_id, name: jane.display_name }, body: `Noted ${push}.${i}.` });
    await gitCli(work, ['push', '-q', 'origin', 'main']);
    report(`${mode}, push ${push}`, (bytesUnder(objects) - before) / (1024 * 1024), 'MiB');
  }
  if (env === ccrEnv) {
    const gitdir = server.context.records.path(rec.id as RecordId);
    await gitCli(gitdir, ['--git-dir', gitdir, 'repack', '-A', '-d', '-q'], { GIT_CONFIG_GLOBAL: ccrEnv['GIT_CONFIG_GLOBAL']! });
    report(`${mode}, the 3 pushes once packs are folded (gc)`, (bytesUnder(objects) - start) / (1024 * 1024), 'MiB');
  }
}
await server.close();
