// The command line end to end against a real server: clone, write, push, pull, verify, export.

import { appendFileSync, readFileSync } from 'node:fs';
import { Fhir } from 'fhir';
import t from 'tap';
import { renderBlock } from '../../core/messages/grammar.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { jane, john, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

t.test('a clinician works on a record with ccr alone, and a colleague sees it all', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Admitted with shortness of breath.' },
  });
  const home = tempDir(t);
  const as = (who: 'jane' | 'tom' | 'john') => ({
    CCR_USER: cast[who].name,
    CCR_TOKEN: cast[who].token,
    CCR_CONFIG: `${home}/${who}.json`,
  });
  const run = async (who: 'jane' | 'tom' | 'john', args: string[], cwd = home, input?: string) => {
    const r = await ccr(args, { cwd, env: as(who), ...(input !== undefined ? { input } : {}) });
    return {
      ...r,
      json: (() => {
        try {
          return JSON.parse(r.stdout);
        } catch {
          return null;
        }
      })(),
    };
  };
  for (const [who, p] of [
    ['jane', jane],
    ['tom', tom],
    ['john', john],
  ] as const) {
    for (const [k, v] of [
      ['participant-id', p.participant_id],
      ['display-name', p.display_name],
      ['role', p.role],
      ['care-location', 'Oxford University Hospitals'],
    ]) {
      t.equal((await run(who, ['config', 'set', k!, v!])).status, 0);
    }
  }
  t.equal((await run('jane', ['config', 'set', 'role', 'surgeon'])).status, 2, 'a bad value is a usage error');

  t.equal(
    (await run('jane', ['clone', s.url, rec.id, 'jane-copy'])).status,
    0,
    'ccr clone with CCR_USER and CCR_TOKEN',
  );
  const wc = `${home}/jane-copy`;
  const created = await run(
    'jane',
    ['thread', 'create', '--participant', `${tom.participant_id}:clinician:${tom.display_name}`, '--json'],
    wc,
    'Please review the chest X-ray.\r\n## Plan\r\nRepeat in 48 hours.\r\n',
  );
  t.equal(created.status, 0, created.stderr);
  const thread = created.json.thread_id as string;
  const first = await run('jane', ['message', 'add', thread, '-m', 'Bloods sent.', '--json'], wc);
  t.equal(first.status, 0, first.stderr);
  const edited = await ccr(['message', 'add', thread, '--edit'], {
    cwd: wc,
    env: { ...as('jane'), EDITOR: 'printf "Written in the editor.\\n" >' },
  });
  t.equal(edited.status, 0, `--edit opens $EDITOR: ${edited.stderr}`);
  const corrected = await run(
    'jane',
    ['message', 'correct', thread, first.json.message_id, '-m', 'Bloods sent at 09:00, not 08:00.'],
    wc,
  );
  t.match(corrected.stdout, /corrected .* with message/);
  t.equal((await run('jane', ['thread', 'update', thread, '--status', 'closed'], wc)).status, 0);
  t.equal((await run('jane', ['thread', 'update', rec.thread!, '--sensitivity', 'confidential'], wc)).status, 0);
  t.equal(
    (await gitOk(wc, ['rev-list', '--count', 'HEAD'])).trim(),
    '8',
    'each writing command made one commit (2 before, 6 by ccr)',
  );
  t.equal((await run('jane', ['push'], wc)).status, 0, 'ccr push');

  const listed = await run('jane', ['thread', 'list', '--json'], wc);
  t.same(listed.json.map((x: { id: string }) => x.id).sort(), [rec.thread, thread].sort());
  t.equal((await run('jane', ['thread', 'update', thread, '--status', 'archived'], wc)).status, 0);
  t.same(
    (await run('jane', ['thread', 'list', '--json'], wc)).json.map((x: { id: string }) => x.id),
    [rec.thread],
    'archived threads are hidden',
  );
  t.equal((await run('jane', ['thread', 'list', '--status', 'all', '--json'], wc)).json.length, 2);
  t.equal((await run('jane', ['push'], wc)).status, 0);

  const verify = await run('jane', ['verify', wc]);
  t.equal(verify.status, 0, verify.stdout);
  const out = `${home}/bundle.json`;
  t.equal((await run('jane', ['export', 'fhir', '--out', out], wc)).status, 0);
  const bundle = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(bundle.type, 'collection');
  t.equal(bundle.entry.length, 2 + 2 + 5, 'two headers and every message (first and system; five in the new thread)');
  t.ok(new Fhir().validate(bundle, { errorOnUnexpected: true }).valid, 'the export is valid FHIR R4');
  const tx = JSON.parse((await run('jane', ['export', 'fhir', '--thread', thread, '--transaction'], wc)).stdout);
  t.equal(tx.type, 'transaction');
  t.ok(
    tx.entry.every((e: { request?: { ifNoneExist?: string } }) => e.request?.ifNoneExist?.startsWith('identifier=')),
  );

  // Tom, elsewhere, sees all of it after a pull.
  t.equal((await run('tom', ['clone', s.url, rec.id, 'tom-copy'])).status, 0);
  const shown = await run('tom', ['thread', 'show', thread], `${home}/tom-copy`);
  t.match(shown.stdout, `Thread ${thread} (archived, standard)`);
  t.match(
    shown.stdout,
    /\\## Plan\n {2}Repeat in 48 hours\./,
    'the body as written, CR LF made LF, the heading escaped',
  );
  t.match(
    shown.stdout,
    /Bloods sent\.\n {2}↳ corrected .* by Dr Jane Smith \([0-9a-f-]{36}\):\n {4}Bloods sent at 09:00, not 08:00\./,
    'the correction beside what it corrects',
  );
  t.match(shown.stdout, /Thread status changed from open to closed\./);
  t.match(shown.stdout, /Written in the editor\./);
  t.equal((await run('jane', ['message', 'add', rec.thread!, '-m', 'Discharged.'], wc)).status, 0);
  t.equal((await run('jane', ['push'], wc)).status, 0);
  t.equal((await run('tom', ['pull'], `${home}/tom-copy`)).status, 0, 'ccr pull');
  t.match((await run('tom', ['thread', 'show', rec.thread!], `${home}/tom-copy`)).stdout, /Discharged\./);
});

t.test('a command that would break a rule is refused locally with the rule id the server uses', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, john] });
  const home = tempDir(t);
  const env = (who: 'jane' | 'john') => ({
    CCR_USER: cast[who].name,
    CCR_TOKEN: cast[who].token,
    CCR_CONFIG: `${home}/${who}.json`,
  });
  for (const [who, p] of [
    ['jane', jane],
    ['john', john],
  ] as const) {
    for (const [k, v] of [
      ['participant-id', p.participant_id],
      ['display-name', p.display_name],
      ['role', p.role],
      ['care-location', 'Home'],
    ])
      await ccr(['config', 'set', k!, v!], { env: env(who) });
  }
  await ccr(['clone', s.url, rec.id, 'w'], { cwd: home, env: env('jane') });
  const wc = `${home}/w`;
  const local = await ccr(['message', 'add', rec.thread!, '-m', 'Give 5\u202E0 mg'], { cwd: wc, env: env('jane') });
  t.equal(local.status, 1);
  t.match(local.stderr, /ccr: refused:\n {2}ccr\/message-chars /);
  const head = (await gitOk(wc, ['rev-parse', 'HEAD'])).trim();
  // The same message written by hand with plain git: the server names the same rule.
  const file = `${wc}/communications/${rec.thread}/messages.md`;
  appendFileSync(
    file,
    '\n' +
      renderBlock({
        id: '0badc0de-0000-4000-8000-000000000000',
        type: 'clinician',
        timestamp: new Date().toISOString(),
        authorId: jane.participant_id,
        author: jane.display_name,
        body: 'Give 5\u202E0 mg',
      } as never),
  );
  await gitOk(wc, ['commit', '-qam', 'coordination:update: Added message to thread\n\nCare-Location: Home']);
  const pushed = await gitRun(wc, ['push', s.gitUrl(rec.id, cast.jane), 'main']);
  t.not(pushed.status, 0);
  t.match(pushed.stderr, /remote: ccr\/message-chars /);
  await gitOk(wc, ['reset', '-q', '--hard', head]);

  await ccr(['clone', s.url, rec.id, 'j'], { cwd: home, env: env('john') });
  const patient = await ccr(['thread', 'update', rec.thread!, '--status', 'closed'], {
    cwd: `${home}/j`,
    env: env('john'),
  });
  t.equal(patient.status, 1, 'a patient may not close a thread');
  t.match(patient.stderr, /AuthorInvalid/);
  t.equal((await ccr(['message', 'add', 'not-a-thread', '-m', 'x'], { cwd: wc, env: env('jane') })).status, 1);
  t.match(
    (await ccr(['thread', 'list'], { cwd: home, env: env('jane') })).stderr,
    /not a git repository/,
    'outside a working copy',
  );
  const noConfig = await ccr(['thread', 'list'], { cwd: wc, env: { ...env('jane'), CCR_CONFIG: `${home}/none.json` } });
  t.equal(noConfig.status, 2);
  t.match(noConfig.stderr, /participant-id is not set; run: ccr config set participant-id/);
});
