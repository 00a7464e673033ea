// Issue 11.2: a patient pushed a ledger-only change `last_updated_at: 9999-12-31T23:59:59.999Z` and
// it was accepted; from then on the clinician's `ccr message add` and `ccr thread update` failed
// for good. Now last_updated_at is bounded by the server clock when it moves, moving it without a
// message is a ledger change under the who rules, and a thread whose history already holds such a
// value keeps working.

import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { jane, john, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const FAR = '9999-12-31T23:59:59.999Z';
const setFar = (file: string) =>
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^last_updated_at: .*$/m, `last_updated_at: ${FAR}`));

t.test("the patient's far-future last_updated_at is refused: the clock bound and the who rule", async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Admitted.' },
  });
  const dir = `${tempDir(t)}/c`;
  await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, cast.john), dir]);
  setFar(`${dir}/communications/${rec.thread}/ledger.yaml`);
  await gitOk(dir, ['commit', '-qam', 'coordination:update: Updated thread ledger\n\nCare-Location: Home']);
  const pushed = await gitRun(dir, ['push', 'origin', 'main']);
  t.not(pushed.status, 0);
  t.match(
    pushed.stderr,
    /remote: ccr\/ledger-last-updated [^\n]*expected last_updated_at no later than 5 minutes after the server time, found 9999-12-31T/,
  );
  t.match(pushed.stderr, /remote: ccr\/who-thread [^\n]*found patient john/);
});

t.test('a thread whose history already holds a far-future last_updated_at keeps working with ccr', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Admitted.' },
  });
  // The bad value lands as it did before the bound: written on the server's disk, past the hook.
  const gitdir = s.server.context.records.path(rec.id as never);
  const disk = `${tempDir(t)}/disk`;
  await gitOk('/', ['clone', '-q', gitdir, disk]);
  setFar(`${disk}/communications/${rec.thread}/ledger.yaml`);
  await gitOk(disk, ['commit', '-qam', 'coordination:update: Updated thread ledger\n\nCare-Location: Home']);
  await gitOk(gitdir, ['--git-dir', gitdir, 'fetch', '-q', disk, 'main:refs/heads/main']);

  const home = tempDir(t);
  const env = { CCR_USER: cast.jane.name, CCR_TOKEN: cast.jane.token, CCR_CONFIG: `${home}/jane.json` };
  const run = (args: string[], cwd = home) => ccr(args, { cwd, env });
  const config = [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', jane.role],
    ['care-location', 'Ward 7'],
  ] as const;
  for (const [k, v] of config) {
    t.equal((await run(['config', 'set', k, v])).status, 0);
  }
  t.equal((await run(['clone', s.url, rec.id, 'wc'])).status, 0);
  const wc = `${home}/wc`;
  const added = await run(['message', 'add', rec.thread!, '-m', 'Bloods are back: normal.'], wc);
  t.equal(added.status, 0, `ccr message add: ${added.stderr}`);
  const pushed = await run(['push'], wc);
  t.equal(pushed.status, 0, `ccr push: ${pushed.stdout}${pushed.stderr}`);
  const closed = await run(['thread', 'update', rec.thread!, '--status', 'closed'], wc);
  t.equal(closed.status, 0, `ccr thread update --status closed: ${closed.stderr}`);
  t.equal((await run(['push'], wc)).status, 0, 'ccr push');
  const ledger = readFileSync(`${wc}/communications/${rec.thread}/ledger.yaml`, 'utf8');
  t.match(ledger, `last_updated_at: ${FAR}`, 'the value never goes back');
  t.match(ledger, 'status: closed');
  const messages = readFileSync(`${wc}/communications/${rec.thread}/messages.md`, 'utf8');
  const stamps = [...messages.matchAll(/\*\*Timestamp:\*\* (\S+)/g)].map((m) => Date.parse(m[1]!));
  t.ok(
    stamps.every((x) => x <= Date.now() + 5 * 60_000),
    "the new messages carry the clock's time, not the far future",
  );
  t.equal((await run(['verify', wc])).status, 0, 'ccr verify is clean');
});
