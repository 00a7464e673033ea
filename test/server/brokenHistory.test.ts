// Issue 19.5: rules were skipped when a parent's file could not be read. A merge had written
// `participants: []` (schema-invalid), and the next push changed participants and sensitivity
// with no system message: accepted, since the old ledger read as nothing. A thread whose ledger
// before the commit cannot be read now takes no change, and a record whose status cannot be read
// none at all; the rest of the record keeps working.

import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import { appendMessages } from '../../core/messages/grammar.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** Change a file of a record on the server's disk, past the hook (as a broken merge or an old version did). */
async function breakOnDisk(
  t: Test,
  s: TestServer,
  id: string,
  path: string,
  fn: (text: string) => string,
): Promise<void> {
  const gitdir = s.server.context.records.path(id as never);
  const disk = `${tempDir(t)}/disk`;
  await gitOk('/', ['clone', '-q', gitdir, disk]);
  writeFileSync(`${disk}/${path}`, fn(readFileSync(`${disk}/${path}`, 'utf8')));
  await gitOk(disk, ['commit', '-qam', 'coordination:update: Updated thread ledger\n\nCare-Location: Disk']);
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', disk, 'main:refs/heads/main']);
}

async function pushEdit(t: Test, s: TestServer, id: string, path: string, fn: (text: string) => string) {
  const dir = `${tempDir(t)}/c`;
  await gitOk('/', ['clone', '-q', s.gitUrl(id, s.admin), dir]);
  writeFileSync(`${dir}/${path}`, fn(readFileSync(`${dir}/${path}`, 'utf8')));
  await gitOk(dir, ['commit', '-qam', 'coordination:update: Updated thread ledger\n\nCare-Location: Ward 7']);
  return gitRun(dir, ['push', 'origin', 'main']);
}

t.test('a thread whose ledger cannot be read takes no change; the other threads keep working', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'Start.' },
  });
  const ledger = `communications/${rec.thread}/ledger.yaml`;
  await breakOnDisk(t, s, rec.id, ledger, (x) =>
    x.replace(/participants:\n[^]*?(?=visibility:)/, 'participants: []\n'),
  );

  const tomOnly = `participants:\n  - participant_id: ${tom.participant_id}\n    role: clinician\n    display_name: Dr Tom Patel\n`;
  const pushed = await pushEdit(t, s, rec.id, ledger, (x) =>
    x.replace('participants: []\n', tomOnly).replace('sensitivity: standard', 'sensitivity: restricted'),
  );
  t.not(pushed.status, 0, 'refused');
  t.match(
    pushed.stderr,
    /remote: ccr\/ledger-schema communications\/[^ ]+\/ledger\.yaml: expected the ledger before this commit to be readable/,
  );

  const dir = `${tempDir(t)}/other`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), dir]);
  await (
    await CoordinationService.at(dir)
  ).createThread(committer, place, [jane], { author: as(jane), body: 'A new thread is fine.' });
  const good = await gitRun(dir, ['push', 'origin', 'main']);
  t.equal(good.status, 0, good.stderr);
});

t.test('a record whose status cannot be read takes no change', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({ participants: [jane], message: { author_id: jane.participant_id, body: 'Start.' } });
  await breakOnDisk(t, s, rec.id, 'COORDINATION_STATUS.yaml', (x) =>
    x.replace('record_modifiable: true', 'record_modifiable: maybe'),
  );
  const time = new Date().toISOString() as Timestamp;
  const block = {
    id: randomUUID() as MessageId,
    type: 'clinician' as const,
    timestamp: time,
    authorId: jane.participant_id,
    author: jane.display_name,
    body: 'Written while the status is unreadable.',
  };
  const dir = `${tempDir(t)}/c2`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), dir]);
  const messages = `${dir}/communications/${rec.thread}/messages.md`;
  writeFileSync(messages, appendMessages(readFileSync(messages, 'utf8'), [block]));
  const ledger = `${dir}/communications/${rec.thread}/ledger.yaml`;
  writeFileSync(ledger, readFileSync(ledger, 'utf8').replace(/^last_updated_at: .*$/m, `last_updated_at: ${time}`));
  await gitOk(dir, ['commit', '-qam', 'coordination:update: Added message to thread\n\nCare-Location: Ward 7']);
  const pushed = await gitRun(dir, ['push', 'origin', 'main']);
  t.not(pushed.status, 0, 'refused');
  t.match(
    pushed.stderr,
    /remote: ccr\/status-schema COORDINATION_STATUS\.yaml: expected COORDINATION_STATUS\.yaml before this commit to be readable/,
  );
});
