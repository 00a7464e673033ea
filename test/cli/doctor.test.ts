// `ccr doctor` with the real process: a healthy data folder passes (exit 0), a broken one names
// each problem with what to fix (exit 1), peers are reached with their credentials.

import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { checkHook, checkSpawnHelper, type Check } from '../../cli/doctor.js';
import { chosenHook, SCRIPT_HOOK } from '../../git/hooks.js';
import { ccr, hasStack, unwritableFolder } from '../helpers/cli.js';
import { jane } from '../helpers/people.js';
import { serveProcess } from '../helpers/process.js';
import { ADMIN_TOKEN, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { send } from '../helpers/wire.js';

/** Run ccr doctor --json on a data folder; gives the status and the checks by area. */
async function doctor(
  data: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; byArea: Map<string, Check[]>; problems: number }> {
  const r = await ccr(['doctor', '--data', data, '--json'], { env });
  const report = JSON.parse(r.stdout) as { checks: Check[]; problems: number };
  const byArea = new Map<string, Check[]>();
  for (const c of report.checks) byArea.set(c.area, [...(byArea.get(c.area) ?? []), c]);
  return { status: r.status, byArea, problems: report.problems };
}

/** A data folder a server has started on, with a record in it, the server stopped again. */
async function usedDataFolder(t: Test): Promise<{ data: string; record: string }> {
  const data = tempDir(t);
  const s = await serveProcess(['--data', data, '--port', '0'], { CCR_ADMIN_TOKEN: ADMIN_TOKEN });
  const created = await send(`${s.url}/api/records`, {
    method: 'POST',
    auth: { name: 'admin', token: ADMIN_TOKEN },
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ clinical_id: jane.participant_id, care_location: 'Ward 7' }),
  });
  s.child.kill('SIGTERM');
  await s.exited;
  return { data, record: (JSON.parse(created.body.toString()) as { coordination_id: string }).coordination_id };
}

t.test('a healthy data folder: every check passes, exit 0, also beside the running server', async (t) => {
  const { data } = await usedDataFolder(t);
  const human = await ccr(['doctor', '--data', data]);
  t.equal(human.status, 0, human.stdout);
  t.match(human.stdout, new RegExp(`^ccr doctor \\d+\\.\\d+\\.\\d+: ${data}\\n`));
  for (const area of [
    'git',
    'bash',
    'node',
    'hook',
    'spawn helper',
    'data folder',
    'disk space',
    'server',
    'principals',
    'git config',
    'records',
    'peers',
  ]) {
    t.match(human.stdout, new RegExp(`^ {2}(ok|warn) {2,}${area} `, 'm'), `checks ${area}`);
  }
  t.match(human.stdout, /^ {2}ok {4}principals +1 principal \(1 admin\); tokens stored as hashes only$/m);
  t.match(human.stdout, /^ {2}ok {4}records +1 record; none overrides the server's git configuration$/m);
  t.match(human.stdout, /^ {2}ok {4}git config +.*gitconfig: hooks from .*\/ccr-hooks, fsck of everything received/m);
  t.match(human.stdout, /^no problems found/m);
  const json = await doctor(data);
  t.equal(json.problems, 0);
  for (const [area, checks] of json.byArea)
    t.ok(
      checks.every((c) => c.status === 'ok' || (area === 'disk space' && c.status === 'warn')),
      `${area} is ok`,
    );

  const s = await serveProcess(['--data', data, '--port', '0']);
  t.teardown(() => {
    s.child.kill('SIGTERM');
  });
  const running = await doctor(data);
  t.equal(running.status, 0);
  t.match(running.byArea.get('server'), [
    { status: 'ok', detail: `a CCR server (pid ${s.child.pid}) serves this folder` },
  ]);
});

t.test('a spawn helper that was not built is a warning that says what it costs and how to build it', async (t) => {
  const dir = tempDir(t);
  t.match(await checkSpawnHelper(`${dir}/ccr-spawn`), {
    area: 'spawn helper',
    status: 'warn',
    detail: /was not built: the server starts git itself/,
    fix: /C compiler.*npm run build/,
  });
  writeFileSync(`${dir}/ccr-spawn`, '');
  t.equal((await checkSpawnHelper(`${dir}/ccr-spawn`)).status, 'warn', 'a file that cannot run is no helper');
  chmodSync(`${dir}/ccr-spawn`, 0o755);
  t.equal((await checkSpawnHelper(`${dir}/ccr-spawn`)).status, 'ok');
});

t.test('a broken data folder: each problem named with what to fix, exit 1', async (t) => {
  const { data, record } = await usedDataFolder(t);
  writeFileSync(`${data}/principals.json`, '{"principals": [{"name": "admin"');
  writeFileSync(`${data}/gitconfig`, '[core]\n\thooksPath = /tmp/elsewhere\n');
  const gitdir = `${data}/coordination/${record.slice(0, 2)}/${record.slice(2, 4)}/${record}.git`;
  writeFileSync(
    `${gitdir}/config`,
    '[core]\n\trepositoryformatversion = 0\n\tbare = true\n\thooksPath = /tmp/no-hooks\n',
  );
  writeFileSync(
    `${data}/sites.json`,
    JSON.stringify({
      peers: [{ name: 'site-b', url: 'http://127.0.0.1:1', user: 'site-a', token: 'ccr_in-clear', records: 'all' }],
    }),
  );
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  writeFileSync(`${data}/server.lock`, String(dead));

  const human = await ccr(['doctor', '--data', data]);
  t.equal(human.status, 1);
  t.notOk(hasStack(human.stdout + human.stderr));
  t.match(
    human.stdout,
    /^ {2}FAIL {2}principals +.*principals\.json cannot be read: .*\n +fix: restore it from a backup/m,
  );
  t.match(
    human.stdout,
    /^ {2}FAIL {2}records +1 of 1 records set hooks, fsck or deny settings in their own config: .*\n +fix: remove those lines/m,
  );
  t.match(
    human.stdout,
    /^ {2}FAIL {2}peer site-b +http:\/\/127\.0\.0\.1:1 cannot be reached \(ECONNREFUSED.*\n +fix: check its URL in sites\.json/m,
  );
  t.match(
    human.stdout,
    /^ {2}warn {2}peer site-b +the token of site-a is written in clear in sites\.json\n +fix: put it in an environment variable/m,
  );
  t.match(
    human.stdout,
    /^ {2}warn {2}git config +.*gitconfig: core\.hookspath is "\/tmp\/elsewhere", expected .*\n +fix: the server rewrites it at its next start/m,
  );
  t.match(
    human.stdout,
    new RegExp(`^ {2}warn {2}server +.*server\\.lock names pid ${dead}, which is not running`, 'm'),
  );
  t.match(human.stdout, /^3 problems and 3 warnings: fix the FAIL lines, then run ccr doctor again$/m);

  const missing = await ccr(['doctor', '--data', `${data}/nope`]);
  t.equal(missing.status, 1);
  t.match(
    missing.stdout,
    /FAIL {2}data folder +there is no data folder at .*\/nope\n +fix: give --data \(or CCR_DATA\) the folder the server serves/,
  );
  t.notMatch(missing.stdout, /principals/, 'checks that need the folder are not run');
});

t.test('an unwritable data folder fails the check, naming who owns it', async (t) => {
  const ro = unwritableFolder(t);
  const r = await ccr(['doctor', '--data', ro.path], ro.as);
  t.equal(r.status, 1);
  t.match(
    r.stdout,
    /FAIL {2}data folder +.*\/data is not writable by this user \(uid \d+; the folder belongs to uid \d+\)\n +fix: run the server/,
  );
});

t.test('peers: reachable and taking our credentials, or refusing them', async (t) => {
  const peer = await testServer(t);
  const site = await peer.principal({ name: 'site-a', kind: 'site' });
  const data = tempDir(t);
  writeFileSync(
    `${data}/sites.json`,
    JSON.stringify({
      peers: [{ name: 'site-b', url: peer.url, user: 'site-a', token_env: 'CCR_TEST_PEER_TOKEN', records: 'all' }],
    }),
  );
  const good = await doctor(data, { CCR_TEST_PEER_TOKEN: site.token });
  t.match(good.byArea.get('peer site-b'), [
    { status: 'ok', detail: `${peer.url} is reachable and accepts the credentials of site-a` },
  ]);
  const bad = await doctor(data, { CCR_TEST_PEER_TOKEN: 'ccr_wrong' });
  t.equal(bad.status, 1);
  t.match(bad.byArea.get('peer site-b'), [
    { status: 'fail', detail: `${peer.url} refuses the credentials of site-a`, fix: /site principal at that peer/ },
  ]);
  const unset = await doctor(data);
  t.match(unset.byArea.get('peer site-b'), [
    { status: 'warn', detail: /reachable; the credentials were not checked: CCR_TEST_PEER_TOKEN is not set here/ },
  ]);
});

t.test('the hook check fails for a hook git would skip', async (t) => {
  const dir = tempDir(t);
  copyFileSync(SCRIPT_HOOK, `${dir}/pre-receive`);
  chmodSync(`${dir}/pre-receive`, 0o644);
  t.match(await checkHook(dir), { status: 'fail', detail: /is not executable/, fix: `chmod +x ${dir}/pre-receive` });
  chmodSync(`${dir}/pre-receive`, 0o755);
  t.match(await checkHook(dir), { status: 'ok' });
  t.match(await checkHook(`${dir}/none`), { status: 'fail', detail: /is missing/ });
  t.match(
    await checkHook(),
    { status: 'ok', detail: `${chosenHook().file} is executable` },
    'the client a server installs',
  );
});
