import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { clinicalId, jane } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';
import { gitOk } from '../helpers/git.js';

t.test('ccr principal add|list|remove and ccr record create act on a data folder', async (t) => {
  const data = tempDir(t);
  const added = await ccr([
    'principal',
    'add',
    'jane',
    '--kind',
    'participant',
    '--participant-id',
    jane.participant_id,
    '--role',
    'clinician',
    '--display-name',
    jane.display_name,
    '--data',
    data,
    '--json',
  ]);
  t.equal(added.status, 0, added.stderr);
  t.match(JSON.parse(added.stdout), { name: 'jane', kind: 'participant', token: /^ccr_/ });
  const human = await ccr(['principal', 'add', 'audit', '--kind', 'auditor'], { env: { CCR_DATA: data } });
  t.match(human.stdout, /created auditor principal audit\ntoken \(shown once\): ccr_/);
  const listed = await ccr(['principal', 'list', '--data', data]);
  t.match(listed.stdout, /jane\tparticipant\t4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12\tclinician\tDr Jane Smith/);
  t.notMatch(listed.stdout, /ccr_/, 'no token is listed');
  t.equal(
    (await ccr(['principal', 'add', 'jane', '--kind', 'auditor', '--data', data])).status,
    1,
    'a taken name fails',
  );
  t.equal((await ccr(['principal', 'remove', 'audit', '--data', data])).status, 0);
  t.equal((await ccr(['principal', 'remove', 'audit', '--data', data])).status, 1, 'removing twice fails');
  const bad = await ccr(['principal', 'add', 'x', '--data', data]);
  t.equal(bad.status, 2, 'a missing option is a usage error');
  t.match(bad.stderr, /--kind is required/);

  const created = await ccr([
    'record',
    'create',
    '--clinical-id',
    clinicalId,
    '--care-location',
    'Ward 7',
    '--data',
    data,
    '--json',
  ]);
  t.equal(created.status, 0, created.stderr);
  const { coordination_id: id, path } = JSON.parse(created.stdout) as { coordination_id: string; path: string };
  t.equal(path, `${data}/coordination/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.git`);
  t.equal(
    (await gitOk(path, ['--git-dir', path, 'log', '--format=%s'])).trim(),
    'coordination:create: Created coordination record',
  );
  t.equal((await ccr(['record', 'create', '--clinical-id', 'nope', '--care-location', 'x', '--data', data])).status, 1);
});

t.test('every command has --help with an example, and unknown commands are usage errors', async (t) => {
  const top = await ccr(['--help']);
  t.equal(top.status, 0);
  const names = [...top.stdout.matchAll(/^ {2}(\S+) /gm)].map((m) => m[1]!);
  t.same(
    names,
    [
      'login',
      'logout',
      'clone',
      'config',
      'thread',
      'message',
      'status',
      'push',
      'pull',
      'verify',
      'receipt',
      'export',
      'serve',
      'sync',
      'principal',
      'records',
      'record',
      'doctor',
    ],
    'every command is listed',
  );
  for (const name of names) {
    const help = await ccr([name, '--help']);
    t.equal(help.status, 0, `${name} --help`);
    t.match(help.stdout, /Example/, `${name} --help shows an example`);
  }
  t.equal((await ccr(['frobnicate'])).status, 2);
  t.equal((await ccr([])).status, 2);
});
