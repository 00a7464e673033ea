// Every error a person can cause, with the real `ccr` process: one line of what happened, one of
// what to do, the documented exit status (1 failed, 2 wrong usage), and never a stack trace.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import t, { type Test } from 'tap';
import { ccr, hasStack, unwritableFolder, type CcrRun } from '../helpers/cli.js';
import { gitOk } from '../helpers/git.js';
import { jane } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** Assert the run failed with `status`, said `what` and `hint` on stderr, and showed no stack. */
function said(t: Test, r: CcrRun, status: number, what: RegExp, hint: RegExp): void {
  t.equal(r.status, status, `exit status ${status}: ${r.stderr}`);
  t.match(r.stderr, new RegExp(`^ccr: ${what.source}`, 'm'), 'says what happened');
  t.match(r.stderr, new RegExp(`^hint: ${hint.source}`, 'm'), 'and what to do');
  t.notOk(hasStack(r.stderr) || hasStack(r.stdout), 'no stack trace');
  t.ok(r.stderr.trim().split('\n').length <= 2, `in two lines: ${r.stderr}`);
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

t.test(
  'a data folder that does not exist is created by principal add, and named by the commands that need one',
  async (t) => {
    const base = tempDir(t);
    const added = await ccr(['principal', 'add', 'audit', '--kind', 'auditor', '--data', `${base}/new/data`]);
    t.equal(added.status, 0, added.stderr);
    t.match(added.stderr, `ccr: created the data folder ${base}/new/data`);
    said(
      t,
      await ccr(['principal', 'list', '--data', `${base}/missing`]),
      1,
      /there is no data folder at .*\/missing/,
      /give --data \(or CCR_DATA\) the folder the server serves/,
    );
    said(
      t,
      await ccr(['principal', 'remove', 'x', '--data', `${base}/missing`]),
      1,
      /there is no data folder/,
      /give --data/,
    );
    said(t, await ccr(['sync', '--data', `${base}/missing`]), 1, /there is no data folder/, /give --data/);
    writeFileSync(`${base}/file`, '');
    said(
      t,
      await ccr(['principal', 'add', 'x', '--kind', 'auditor', '--data', `${base}/file/data`]),
      1,
      /cannot create the data folder .*: part of the path is a file/,
      /give --data/,
    );
    said(
      t,
      await ccr(['principal', 'list', '--data', `${base}/file`]),
      1,
      /.*\/file is a file, not a data folder/,
      /give --data/,
    );
  },
);

t.test('an unwritable data folder is named, with whose it is', async (t) => {
  const ro = unwritableFolder(t);
  said(
    t,
    await ccr(['principal', 'add', 'x', '--kind', 'auditor', '--data', ro.path], ro.as),
    1,
    /cannot write to the data folder .* \(permission denied\)/,
    /run ccr as the user that owns it \(uid \d+\)/,
  );
  said(
    t,
    await ccr(
      ['record', 'create', '--clinical-id', jane.participant_id, '--care-location', 'Ward 7', '--data', ro.path],
      ro.as,
    ),
    1,
    /cannot write to the data folder/,
    /run ccr as the user/,
  );
});

t.test('a broken principals file is named, not parsed in a stack', async (t) => {
  const data = tempDir(t);
  writeFileSync(`${data}/principals.json`, '{ "principals": [');
  said(
    t,
    await ccr(['principal', 'list', '--data', data]),
    1,
    /.*principals\.json cannot be read: /,
    /restore it from a backup/,
  );
});

t.test('bad flag values are usage errors (exit 2) that name the flag and point at --help', async (t) => {
  const data = tempDir(t);
  said(
    t,
    await ccr(['serve', '--port', 'eighty', '--data', data]),
    2,
    /expected --port \(or CCR_PORT\) to be a port number from 0 to 65535, found "eighty"/,
    /ccr serve --help shows the options and an example/,
  );
  said(t, await ccr(['serve', '--port', '70000', '--data', data]), 2, /expected --port/, /ccr serve --help/);
  said(
    t,
    await ccr(['serve', '--data', data], { env: { CCR_PORT: '-1' } }),
    2,
    /expected --port \(or CCR_PORT\)/,
    /ccr serve --help/,
  );
  said(
    t,
    await ccr(['serve', '--log-format', 'xml', '--data', data]),
    2,
    /expected --log-format \(or CCR_LOG_FORMAT\) to be json or text, found "xml"/,
    /ccr serve --help/,
  );
  said(
    t,
    await ccr(['serve', '--public-url', 'ccr.example.org', '--data', data]),
    2,
    /expected --public-url to be an http\(s\) URL/,
    /ccr serve --help/,
  );
  said(
    t,
    await ccr(['principal', 'add', 'x', '--kind', 'wizard', '--data', data]),
    2,
    /expected --kind to be one of admin, auditor, site, integration, participant/,
    /ccr principal --help/,
  );
  said(
    t,
    await ccr(['principal', 'add', 'x', '--kind', 'participant', '--participant-id', 'nope', '--data', data]),
    2,
    /expected --participant-id in canonical UUID form/,
    /ccr principal --help/,
  );
  said(
    t,
    await ccr(['sync', '--record', 'nope', '--data', data]),
    2,
    /expected --record to be a record id/,
    /ccr sync --help/,
  );
  said(
    t,
    await ccr(['clone', 'http://127.0.0.1:1', 'NOT-A-UUID']),
    2,
    /expected the record id as a canonical lowercase UUID, found "NOT-A-UUID"/,
    /ccr clone --help/,
  );
  said(t, await ccr(['serve', '--bogus']), 2, /Unknown option '--bogus'/, /ccr serve --help/);
  t.equal((await ccr(['serve', '--bogus'])).stderr.includes('Example'), false, 'the whole help is not dumped');
});

t.test('an unreachable server, wrong or missing credentials and an unknown record are said as such', async (t) => {
  const home = tempDir(t);
  const port = await closedPort();
  said(
    t,
    await ccr(['clone', `http://127.0.0.1:${port}`, jane.participant_id], { cwd: home }),
    1,
    new RegExp(`cannot reach the server at http://127\\.0\\.0\\.1:${port}`),
    /check the URL, and that the server runs/,
  );

  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const wrong = { CCR_USER: 'jane', CCR_TOKEN: 'ccr_wrong' };
  said(
    t,
    await ccr(['clone', s.url, rec.id, 'w1'], { cwd: home, env: wrong }),
    1,
    new RegExp(`the server at ${s.url} refused the credentials of jane`),
    /check the principal name and its token; ccr login/,
  );
  said(
    t,
    await ccr(['clone', s.url, rec.id, 'w2'], { cwd: home }),
    1,
    new RegExp(`no credentials for the server at ${s.url}`),
    new RegExp(`run ccr login ${s.url} once`),
  );
  const missing = '0badc0de-0000-4000-8000-000000000000';
  said(
    t,
    await ccr(['clone', s.url, missing, 'w3'], { cwd: home, env: { CCR_USER: 'jane', CCR_TOKEN: cast.jane.token } }),
    1,
    new RegExp(`no record ${missing} at ${s.url} that jane may read`),
    /check the record id/,
  );

  // A push with a wrong token is refused before git receives anything: said at once, no settling.
  const env = { CCR_USER: 'jane', CCR_TOKEN: cast.jane.token };
  t.equal((await ccr(['clone', s.url, rec.id, 'w'], { cwd: home, env })).status, 0);
  await gitOk(`${home}/w`, [
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'coordination:update: nothing\n\nCare-Location: Ward 7',
  ]);
  const started = Date.now();
  said(
    t,
    await ccr(['push'], { cwd: `${home}/w`, env: wrong }),
    1,
    /the server at .* refused the credentials of jane; nothing was pushed/,
    /check the principal name and its token; ccr login/,
  );
  t.ok(Date.now() - started < 60_000, 'without the settling fetches of an unknown outcome');
  said(
    t,
    await ccr(['pull'], { cwd: `${home}/w`, env: wrong }),
    1,
    /the server at .* refused the credentials of jane/,
    /check the principal name and its token/,
  );
});

t.test('a folder that is not a working copy of a record says how to get one', async (t) => {
  const home = tempDir(t);
  const config = { CCR_CONFIG: `${home}/config.json` };
  for (const [k, v] of [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', 'clinician'],
    ['care-location', 'Ward 7'],
  ]) {
    t.equal((await ccr(['config', 'set', k!, v!], { env: config })).status, 0);
  }
  mkdirSync(`${home}/plain`);
  said(
    t,
    await ccr(['thread', 'list'], { cwd: `${home}/plain`, env: config }),
    2,
    /\. is not a git repository, so not a CCR working copy/,
    /run ccr in a clone of a record \(ccr clone <server-url> <record-id>\)/,
  );
  said(
    t,
    await ccr(['verify', `${home}/plain`]),
    2,
    /.*plain is not a git repository/,
    /run ccr in a clone of a record/,
  );
  await gitOk(home, ['init', '-q', 'repo']);
  said(
    t,
    await ccr(['thread', 'list'], { cwd: `${home}/repo`, env: config }),
    1,
    /.*repo is not a CCR working copy \(no COORDINATION_STATUS\.yaml in its last commit\)/,
    /a CCR working copy is a clone of a record/,
  );
  said(
    t,
    await ccr(['export', 'fhir'], { cwd: `${home}/repo`, env: config }),
    1,
    /.*repo is not a CCR working copy/,
    /a CCR working copy is a clone of a record/,
  );
});

t.test('no git on PATH is said as such, by the commands and by the server', async (t) => {
  const bin = tempDir(t);
  symlinkSync(process.execPath, `${bin}/node`);
  const env = { PATH: bin };
  said(
    t,
    await ccr(['verify', tempDir(t)], { env }),
    1,
    /the git command was not found on PATH/,
    /install git 2\.36 or later/,
  );
  said(
    t,
    await ccr(['clone', 'http://127.0.0.1:1', jane.participant_id], { env, cwd: tempDir(t) }),
    1,
    /the git command was not found on PATH/,
    /install git/,
  );
  const serve = await ccr(['serve', '--data', `${tempDir(t)}/data`, '--port', '0'], { env, timeoutMs: 60_000 });
  t.notOk(serve.timedOut, 'the server exits at once');
  t.equal(serve.status, 1);
  t.match(
    serve.stderr,
    /^ccr: the git command was not found on PATH; the server runs git for every clone and push\nhint: install git/,
  );
});

t.test('a clone into a folder that is not empty says so', async (t) => {
  const home = tempDir(t);
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const env = { CCR_USER: 'jane', CCR_TOKEN: cast.jane.token };
  t.equal((await ccr(['clone', s.url, rec.id, 'w'], { cwd: home, env })).status, 0);
  said(
    t,
    await ccr(['clone', s.url, rec.id, 'w'], { cwd: home, env }),
    1,
    /w already exists and is not empty/,
    /give ccr clone another folder/,
  );
});
