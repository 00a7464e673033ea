import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import * as api from '../../index.js';
import { CoordinationService, type LedgerUpdate } from '../../index.js';
import { createRecord } from '../../service/initialise.js';
import { recordDir } from '../../service/record.js';
import { gitIn, gitTry } from '../helpers/git.js';
import { as, clinicalId, committer, jane, john, place, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';
import { root } from '../helpers/fixtures.js';

const subjects = (dir: string) => gitIn(dir, ['log', '--format=%s']).trim().split('\n').reverse();

async function record(t: Test) {
  const dataDir = tempDir(t);
  const svc = await CoordinationService.new({ dataDir }).initialise(committer, place, clinicalId);
  return { dataDir, svc, dir: svc.record.repo.worktree! };
}

t.test('the package exports the service, its errors and the formats', async (t) => {
  for (const name of [
    'CoordinationService',
    'UninitialisedCoordinationService',
    'RuleViolation',
    'ThreadClosed',
    'AuthorInvalid',
    'ruleIds',
    'renderBody',
    'isUuid',
    'formatFinding',
  ]) {
    t.ok(name in api, name);
  }
});

t.test('an uninitialised service offers only initialise()', async (t) => {
  const u = CoordinationService.new({ dataDir: tempDir(t) });
  t.same(
    Object.getOwnPropertyNames(Object.getPrototypeOf(u)).filter((n) => n !== 'constructor'),
    ['initialise'],
  );
  t.notOk('addMessage' in u);
});

t.test('initialise creates a sharded working copy with one commit', async (t) => {
  const { dataDir, svc, dir } = await record(t);
  const id = svc.coordinationId;
  t.ok(api.isUuid(id));
  t.equal(dir, `${dataDir}/coordination/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`);
  t.same(subjects(dir), ['coordination:create: Created coordination record']);
  t.equal(gitIn(dir, ['log', '-1', '--format=%(trailers:key=Care-Location,valueonly)']).trim(), place);
  t.equal(gitIn(dir, ['status', '--porcelain']), '', 'the working copy is clean');
  t.match(
    readFileSync(`${dir}/COORDINATION_STATUS.yaml`, 'utf8'),
    `coordination_id: ${id}\nclinical_id: ${clinicalId}\nstatus:\n  lifecycle_state: active\n`,
  );
  t.same(await svc.readStatus(), {
    coordination_id: id,
    clinical_id: clinicalId,
    status: { lifecycle_state: 'active', record_open: true, record_queryable: true, record_modifiable: true },
  });
  t.same((await CoordinationService.withId({ dataDir }, id)).coordinationId, id);
  t.same((await CoordinationService.at(dir)).coordinationId, id);
  await t.rejects(CoordinationService.withId({ dataDir }, '00000000-0000-4000-8000-000000000000'), {
    code: 'RecordNotFound',
  });
  await t.rejects(CoordinationService.withId({ dataDir }, '../../etc'), { code: 'InvalidInput' });
  await t.rejects(CoordinationService.new({ dataDir }).initialise(committer, place, 'not-a-uuid'), {
    code: 'InvalidInput',
  });
  await t.rejects(CoordinationService.new({ dataDir }).initialise(committer, '', clinicalId), { code: 'InvalidInput' });
  await t.rejects(CoordinationService.new({ dataDir }).initialise({ name: 'A <b>', email: 'x' }, place, clinicalId), {
    code: 'InvalidInput',
  });
});

t.test('each operation is one commit, with the SPEC subject and Care-Location, read back with plain git', async (t) => {
  const { svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom, john], {
    author: as(jane),
    body: '## Plan\nBP <120/80',
  });
  t.ok(api.isThreadId(thread));
  const m1 = await svc.addMessage(committer, place, thread, { author: as(tom), body: 'Reviewed X-ray.' });
  await svc.addMessage(committer, place, thread, { author: as(tom), body: 'Correction: CT, not X-ray.', corrects: m1 });
  await svc.updateThreadLedger(committer, place, thread, {
    by: as(jane),
    removeParticipants: [john.participant_id],
    visibility: { sensitivity: 'confidential' },
  });
  await svc.updateCoordinationStatus(committer, 'Ward 7', { lifecycle_state: 'suspended' });
  t.same(subjects(dir), [
    'coordination:create: Created coordination record',
    'coordination:create: Created messaging thread',
    'coordination:update: Added message to thread',
    'coordination:update: Added message to thread',
    'coordination:update: Updated thread ledger',
    'coordination:update: Updated coordination status',
  ]);
  t.equal(gitIn(dir, ['rev-list', '--merges', '--count', 'HEAD']).trim(), '0', 'history is linear');
  t.equal(gitIn(dir, ['log', '-1', '--format=%(trailers:key=Care-Location,valueonly)']).trim(), 'Ward 7');
  t.equal(gitIn(dir, ['status', '--porcelain']), '', 'the working copy is clean after every operation');
  gitIn(dir, ['fsck', '--strict', '--full']);
  const shown = gitIn(dir, ['show', `HEAD~3:communications/${thread}/messages.md`]);
  t.match(shown, '\\## Plan\nBP <120/80\n', 'the body is escaped and kept');
  t.equal(
    gitIn(dir, ['diff', '--stat', 'HEAD~3', 'HEAD~2']).trim().split('\n').length,
    3,
    'an append touches messages.md and ledger.yaml only',
  );

  const th = await svc.readThread(thread);
  t.same(
    th.messages.map((m) => [m.type, m.author]),
    [
      ['clinician', 'Dr Jane Smith'],
      ['clinician', 'Dr Tom Patel'],
      ['correction', 'Dr Tom Patel'],
      ['system', 'Dr Jane Smith'],
      ['system', 'Dr Jane Smith'],
    ],
  );
  t.equal(th.messages[2]!.corrects, m1);
  t.same(
    th.messages.slice(3).map((m) => m.body),
    ['Participant removed: John Doe (patient).', 'Visibility changed: sensitivity standard → confidential.'],
  );
  t.same(th.ledger.participants, [jane, tom]);
  t.equal(th.ledger.last_updated_at, th.messages[4]!.timestamp);
});

t.test('lists threads with archived ones hidden unless asked for', async (t) => {
  const { svc } = await record(t);
  const a = await svc.createThread(committer, place, [jane]);
  const b = await svc.createThread(committer, place, [jane, tom]);
  const c = await svc.createThread(committer, place, [jane]);
  await svc.updateThreadLedger(committer, place, b, { by: as(jane), status: 'closed' });
  await svc.updateThreadLedger(committer, place, b, { by: as(jane), status: 'archived' });
  await svc.updateThreadLedger(committer, place, c, { by: as(jane), status: 'closed' });
  t.same(
    (await svc.listThreads()).map((x) => x.id),
    [a, c],
  );
  t.same(
    (await svc.listThreads({ includeArchived: true })).map((x) => x.id),
    [a, b, c],
  );
  t.same(
    (await svc.listThreads({ status: 'closed' })).map((x) => x.id),
    [c],
  );
  t.same(
    (await svc.listThreads({ status: ['archived'] })).map((x) => [x.id, x.status]),
    [[b, 'archived']],
  );
});

t.test('refuses what it must not write, with typed errors, and writes nothing', async (t) => {
  const { svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom, john]);
  const before = gitIn(dir, ['rev-parse', 'HEAD']);
  const refusals: Array<[string, () => Promise<unknown>, string]> = [
    [
      'a missing thread',
      () =>
        svc.addMessage(committer, place, '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000', {
          author: as(jane),
          body: 'x',
        }),
      'ThreadNotFound',
    ],
    [
      'an author who is not a participant',
      () =>
        svc.addMessage(committer, place, thread, {
          author: { id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', name: 'X' },
          body: 'x',
        }),
      'AuthorInvalid',
    ],
    [
      'a wrong author name',
      () => svc.addMessage(committer, place, thread, { author: { id: jane.participant_id, name: 'Jane' }, body: 'x' }),
      'AuthorInvalid',
    ],
    [
      'a blank body',
      () => svc.addMessage(committer, place, thread, { author: as(jane), body: ' \n\t\n' }),
      'InvalidInput',
    ],
    [
      'a correction of a missing message',
      () =>
        svc.addMessage(committer, place, thread, {
          author: as(jane),
          body: 'x',
          corrects: '00000000-0000-4000-8000-000000000000',
        }),
      'MessageNotFound',
    ],
    [
      'a bad care location',
      () => svc.addMessage(committer, place + '\n', thread, { author: as(jane), body: 'x' }),
      'InvalidInput',
    ],
    [
      'a bidi character in a body',
      () => svc.addMessage(committer, place, thread, { author: as(jane), body: 'dose 5\u202E0 mg' }),
      'RuleViolation',
    ],
    [
      'a forbidden status move',
      () => svc.updateThreadLedger(committer, place, thread, { by: as(jane), status: 'open' as never }),
      'InvalidInput',
    ],
    [
      'a ledger change by the patient',
      () => svc.updateThreadLedger(committer, place, thread, { by: as(john), status: 'closed' }),
      'AuthorInvalid',
    ],
    [
      'a ledger update that changes nothing',
      () => svc.updateThreadLedger(committer, place, thread, { by: as(jane) } as LedgerUpdate),
      'InvalidInput',
    ],
    [
      'a visibility update that repeats what is there',
      () =>
        svc.updateThreadLedger(committer, place, thread, {
          by: as(jane),
          visibility: { sensitivity: 'standard', typo: true },
        } as never),
      'InvalidInput',
    ],
    [
      'removing every participant',
      () =>
        svc.updateThreadLedger(committer, place, thread, {
          by: as(jane),
          removeParticipants: [jane.participant_id, tom.participant_id, john.participant_id],
        }),
      'InvalidInput',
    ],
    ['a thread without participants', () => svc.createThread(committer, place, []), 'InvalidInput'],
    [
      'a first message by a non-participant',
      () => svc.createThread(committer, place, [tom], { author: as(jane), body: 'x' }),
      'AuthorInvalid',
    ],
  ];
  for (const [name, op, code] of refusals) await t.rejects(op(), { code }, name);
  const rule = await svc
    .addMessage(committer, place, thread, { author: as(jane), body: 'dose 5\u202E0 mg' })
    .catch((e: api.RuleViolation) => e);
  t.match(
    rule,
    { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars' }] },
    'a refusal carries the rule id the server uses',
  );
  t.equal(gitIn(dir, ['rev-parse', 'HEAD']), before, 'main did not move');
  t.equal(gitIn(dir, ['status', '--porcelain']), '');

  await svc.updateThreadLedger(committer, place, thread, {
    by: as(jane),
    policies: { allow_patient_participation: false },
  });
  await t.rejects(svc.addMessage(committer, place, thread, { author: as(john), body: 'Hello' }), {
    code: 'RuleViolation',
    findings: [{ rule: 'ccr/patient-participation' }],
  });
  await svc.updateThreadLedger(committer, place, thread, { by: as(jane), status: 'closed' });
  await t.rejects(svc.addMessage(committer, place, thread, { author: as(jane), body: 'late' }), {
    code: 'ThreadClosed',
  });
  await t.rejects(
    svc.updateThreadLedger(committer, place, thread, {
      by: as(jane),
      addParticipants: [
        {
          participant_id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f' as api.ParticipantId,
          role: 'clinician',
          display_name: 'X',
        },
      ],
    }),
    { code: 'ThreadClosed' },
  );
  const other = await svc.createThread(committer, place, [jane]);
  await svc.updateCoordinationStatus(committer, place, { record_modifiable: false });
  await t.rejects(svc.addMessage(committer, place, other, { author: as(jane), body: 'x' }), {
    code: 'RuleViolation',
    findings: [{ rule: 'ccr/record-frozen' }],
  });
});

t.test('20 concurrent addMessage calls on one thread all land, in one linear history', async (t) => {
  const { svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom]);
  const ids = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      svc.addMessage(committer, place, thread, { author: as(i % 2 ? tom : jane), body: `Message ${i}` }),
    ),
  );
  t.equal(new Set(ids).size, 20);
  const messages = (await svc.readThread(thread)).messages;
  t.same(messages.map((m) => m.id).sort(), [...ids].sort(), 'every message is in the thread exactly once');
  t.equal(gitIn(dir, ['rev-list', '--count', 'HEAD']).trim(), '22');
  t.equal(gitIn(dir, ['rev-list', '--merges', '--count', 'HEAD']).trim(), '0');
  gitIn(dir, ['fsck', '--strict', '--full']);
  t.equal(gitIn(dir, ['status', '--porcelain']), '');
});

t.test('writers in several processes and this one, at once, lose nothing', async (t) => {
  const { dataDir, svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane, tom]);
  const script = `
    const { CoordinationService } = await import(${JSON.stringify(`${root}/dist/index.js`)});
    const svc = await CoordinationService.withId({ dataDir: process.argv[1] }, process.argv[2]);
    await Promise.all(Array.from({ length: 8 }, (_, i) => svc.addMessage({ name: 'P', email: 'p@ccr.invalid' }, 'Site', process.argv[3], { author: { id: '${tom.participant_id}', name: '${tom.display_name}' }, body: 'From ' + process.pid + ' #' + i })));
  `;
  const children = Array.from(
    { length: 3 },
    () =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--input-type=module', '-e', script, dataDir, svc.coordinationId, thread],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
        child.on('close', (code) => resolve(code ?? 1));
      }),
  );
  const local = Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      svc.addMessage(committer, place, thread, { author: as(jane), body: `Local #${i}` }),
    ),
  );
  t.same(await Promise.all(children), [0, 0, 0]);
  await local;
  t.equal((await svc.readThread(thread)).messages.length, 32);
  gitIn(dir, ['fsck', '--strict', '--full']);
  t.equal(gitIn(dir, ['status', '--porcelain']), '');
});

t.test('repairs the working copy after a crash between moving main and updating the files', async (t) => {
  const { svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane]);
  await svc.addMessage(committer, place, thread, { author: as(jane), body: 'One' });
  // The state a crash leaves: main moved, files and index still at the commit before.
  gitIn(dir, ['read-tree', '-m', '-u', 'HEAD', 'HEAD~1']);
  writeFileSync(`${dir}/.git/ccr-checkout`, gitIn(dir, ['rev-parse', 'HEAD~1']));
  t.not(gitIn(dir, ['status', '--porcelain']), '', 'the files are behind main');
  await svc.addMessage(committer, place, thread, { author: as(jane), body: 'Two' });
  t.equal(gitIn(dir, ['status', '--porcelain']), '');
  t.same(
    (await svc.readThread(thread)).messages.map((m) => m.body),
    ['One', 'Two'],
  );
});

t.test('takes over the lock of a writer that died, and refuses over local edits without losing them', async (t) => {
  const { svc, dir } = await record(t);
  const thread = await svc.createThread(committer, place, [jane]);
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.on('close', r));
  writeFileSync(
    `${dir}/.git/ccr.lock`,
    JSON.stringify({ pid: dead.pid, host: (await import('node:os')).hostname(), nonce: 'dead' }),
  );
  // What the dead writer left half done: its lock of main and a temporary object.
  const left = [`${dir}/.git/refs/heads/main.lock`, `${dir}/.git/objects/ab/tmp_obj_dead`];
  mkdirSync(`${dir}/.git/objects/ab`, { recursive: true });
  for (const f of left) writeFileSync(f, '');
  const settled = new Date(Date.now() - 60_000);
  for (const f of left) utimesSync(f, settled, settled);
  await svc.addMessage(committer, place, thread, { author: as(jane), body: 'After the crash' });
  t.notOk(existsSync(`${dir}/.git/ccr.lock`), 'the lock is released');
  t.same(
    left.filter((f) => existsSync(f)),
    [],
    'what the dead writer left is cleared',
  );
  // A writer killed while creating the lock in an older version left it empty.
  writeFileSync(`${dir}/.git/ccr.lock`, '');
  utimesSync(`${dir}/.git/ccr.lock`, settled, settled);
  await svc.addMessage(committer, place, thread, { author: as(jane), body: 'After another crash' });
  t.notOk(existsSync(`${dir}/.git/ccr.lock`), 'an old empty lock is taken over');
  const file = `${dir}/communications/${thread}/messages.md`;
  writeFileSync(file, readFileSync(file, 'utf8') + 'local edit\n');
  const err = await svc.addMessage(committer, place, thread, { author: as(jane), body: 'Next' }).catch((e: Error) => e);
  t.match(err, {
    code: 'WorkingCopyConflict',
    message: /^the change was committed \([0-9a-f]{12}\) but the files were not updated/,
  });
  t.match(readFileSync(file, 'utf8'), /local edit\n$/, 'the local edit is still there');
  t.same(
    (await svc.readThread(thread)).messages.filter((m) => m.body === 'Next').length,
    1,
    'the message is in the record, once',
  );
});

t.test('the same writer commits into a bare repository that git clones', async (t) => {
  const data = tempDir(t);
  const { handle } = await createRecord({
    path: (id) => `${recordDir(data, id)}.git`,
    bare: true,
    author: committer,
    careLocation: place,
    clinicalId,
  });
  const svc = new CoordinationService(handle);
  const thread = await svc.createThread(committer, place, [jane], { author: as(jane), body: 'Hello' });
  const gitdir = `${recordDir(data, svc.coordinationId)}.git`;
  t.notOk(existsSync(`${gitdir}/hooks`), 'no sample hooks');
  t.equal(gitIn(gitdir, ['rev-parse', '--is-bare-repository']).trim(), 'true');
  const clone = `${tempDir(t)}/clone`;
  gitIn(data, ['clone', '-q', gitdir, clone]);
  t.match(readFileSync(`${clone}/communications/${thread}/messages.md`, 'utf8'), /Hello\n$/);
  t.equal(gitTry(gitdir, ['fsck', '--strict']).status, 0);
});
