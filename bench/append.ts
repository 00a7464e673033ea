// Benchmark: CoordinationService.addMessage against thread length, and against the git CLI doing
// the same append and commit (same durability settings) in the same run.
// Usage: node dist/bench/append.js [samples]

import { appendFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { CoordinationService } from '../index.js';
import { formatTimestamp, newUuid, type MessageId, type ParticipantId } from '../core/ids.js';
import { renderLedger } from '../core/ledger.js';
import { renderBlock, type Message } from '../core/messages/grammar.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import { appendMany, author, body, place } from './fixtures.js';
import { gitEnv } from '../git/run.js';
import { median, report, sample, scratch } from './util.js';

const n = Number(process.argv[2] ?? 40);
const jane = {
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as ParticipantId,
  role: 'clinician' as const,
  display_name: 'Dr Jane Smith',
};

/** A thread holding `count` messages, written as one commit through the rules. */
async function threadWith(svc: CoordinationService, count: number): Promise<string> {
  const thread = await svc.createThread(author, place, [jane]);
  if (count > 0) await appendMany(svc, thread, count);
  return thread;
}

const dataDir = scratch('append');
const svc = await CoordinationService.new({ dataDir }).initialise(author, place, newUuid());
const sizes = [10, 1_000, 10_000];
const medians = new Map<number, number>();
for (const size of sizes) {
  process.stderr.write(`  preparing a thread of ${size} messages\n`);
  const thread = await threadWith(svc, size);
  const times = await sample(n, () =>
    svc.addMessage(author, place, thread, { author: { id: jane.participant_id, name: jane.display_name }, body }),
  );
  medians.set(size, median(times));
}

// The git CLI doing the same work in a clone: append a block, rewrite the ledger, add, commit.
const clone = `${scratch('append-git')}/clone`;
execFileSync('git', ['clone', '-q', svc.record.repo.worktree!, clone], { env: gitEnv() });
const thread = (await svc.listThreads())[0]!.id; // the 10-message thread
const env = gitEnv('/dev/null', {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'b@ccr.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'b@ccr.invalid',
});
const ledger = await svc.record.ledger((await svc.record.repo.head())!, thread);
const gitTimes = await sample(n, async () => {
  const m: Message = {
    id: newUuid() as MessageId,
    type: 'clinician',
    timestamp: formatTimestamp(Date.now()),
    authorId: jane.participant_id,
    author: jane.display_name,
    body,
  };
  appendFileSync(`${clone}/${threadFilePath(thread, MESSAGES_FILE)}`, '\n---\n\n' + renderBlock(m));
  writeFileSync(
    `${clone}/${threadFilePath(thread, LEDGER_FILE)}`,
    renderLedger({ ...ledger, last_updated_at: m.timestamp }),
  );
  execFileSync('git', ['-c', 'core.fsync=committed', '-c', 'core.fsyncMethod=fsync', 'add', '-A'], { cwd: clone, env });
  execFileSync(
    'git',
    [
      '-c',
      'core.fsync=committed',
      '-c',
      'core.fsyncMethod=fsync',
      'commit',
      '-q',
      '-m',
      renderCommitMessage(subjects.addMessage, place),
    ],
    { cwd: clone, env },
  );
});

console.log(`addMessage, median of ${n} (ms)`);
const base = { name: '10-message thread', value: medians.get(10)! };
for (const size of sizes)
  report(`service append to a ${size}-message thread`, medians.get(size)!, 'ms', size === 10 ? undefined : base);
report('git CLI append + add + commit (fsync committed)', median(gitTimes), 'ms');
report('service append to a 10-message thread vs the git CLI', medians.get(10)!, 'ms', {
  name: 'git CLI',
  value: median(gitTimes),
});
