// `ccr message add --push` (issue 17: one command for one message instead of two): the message
// and the push in one run; a push the server refuses, or one with credentials it does not take,
// leaves the commit in the working copy, says so, and fails; nothing reaches the server's main.

import { chmodSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { gitRun } from '../helpers/git.js';
import { jane, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

t.test('message add --push: added and pushed in one command; refusals leave the commit local', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({ participants: [jane, tom] });
  const home = tempDir(t);
  // The settings are jane's; the credentials vary.
  const env = (user: string, token: string) => ({ CCR_USER: user, CCR_TOKEN: token, CCR_CONFIG: `${home}/jane.json` });
  const janeEnv = env('jane', cast.jane.token);
  for (const [k, v] of [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', jane.role],
    ['care-location', 'Ward 7'],
  ])
    t.equal((await ccr(['config', 'set', k!, v!], { env: janeEnv })).status, 0);
  t.equal((await ccr(['clone', s.url, rec.id, 'wc'], { cwd: home, env: janeEnv })).status, 0);
  const wc = `${home}/wc`;
  const authed = new URL(`${s.url}/coordination/${rec.id}.git`);
  authed.username = 'jane';
  authed.password = cast.jane.token;
  const serverMain = async () =>
    (await gitRun(wc, ['ls-remote', authed.toString(), 'refs/heads/main'])).stdout.split('\t')[0];
  const localHead = async () => (await gitRun(wc, ['rev-parse', 'HEAD'])).stdout.trim();

  const sent = await ccr(['message', 'add', rec.thread!, '-m', 'Bloods sent.', '--push'], { cwd: wc, env: janeEnv });
  t.equal(sent.status, 0, sent.stderr);
  t.match(sent.stdout, /^added message [0-9a-f-]{36} to thread \S+\npushed [0-9a-f]{12}\n/);
  t.equal(await serverMain(), await localHead(), "the server's main is the new commit");

  const json = await ccr(['message', 'add', rec.thread!, '-m', 'Chest clear.', '--push', '--json'], {
    cwd: wc,
    env: janeEnv,
  });
  t.equal(json.status, 0, json.stderr);
  const value = JSON.parse(json.stdout) as { message_id: string; commit: string; push: { outcome: string } };
  t.equal(value.push.outcome, 'accepted');
  t.equal(value.commit, await localHead());
  t.equal(await serverMain(), value.commit);

  // Tom's token with jane's settings: the commit is jane's, the pusher tom; the server refuses it.
  const before = await serverMain();
  const refused = await ccr(['message', 'add', rec.thread!, '-m', 'Written as jane.', '--push'], {
    cwd: wc,
    env: env('tom', cast.tom.token),
  });
  t.equal(refused.status, 1);
  t.match(refused.stdout, /^added message [0-9a-f-]{36} to thread \S+\nrefused by the server:\nremote: /);
  t.match(refused.stderr, /ccr: message [0-9a-f-]{36} is committed in your working copy, not on the server/);
  t.equal(await serverMain(), before, "nothing reached the server's main");

  // A token the server does not know: refused at the door, said with what to do; JSON keeps the message.
  const stranger = await ccr(['message', 'add', rec.thread!, '-m', 'Again.', '--push', '--json'], {
    cwd: wc,
    env: env('jane', 'ccr_not-a-token-the-server-gave-0123456789abcdef'),
  });
  t.equal(stranger.status, 1);
  const said = JSON.parse(stranger.stdout) as { message_id: string; push: { error: { message: string } } };
  t.match(said.message_id, /^[0-9a-f-]{36}$/);
  t.match(said.push.error.message, /refused the credentials of jane/);
  t.equal(await serverMain(), before);

  // git gone once the commit is made (a git that removes itself after read-tree, the writer's last
  // git): the message is said committed, the push's failure said, and nothing is left waiting.
  const bin = tempDir(t);
  writeFileSync(
    `${bin}/git`,
    `#!/bin/sh\n/usr/bin/env PATH=${process.env['PATH']} git "$@"; code=$?\ncase "$1" in read-tree) /bin/rm -f "$0";; esac\nexit $code\n`,
  );
  chmodSync(`${bin}/git`, 0o755);
  const started = Date.now();
  const gone = await ccr(['message', 'add', rec.thread!, '-m', 'Written, then git went away.', '--push'], {
    cwd: wc,
    env: { ...janeEnv, PATH: bin },
  });
  t.equal(gone.status, 1, gone.stderr);
  t.match(gone.stdout, /^added message [0-9a-f-]{36} to thread /);
  t.match(gone.stderr, /ccr: message [0-9a-f-]{36} is committed in your working copy; it was not pushed/);
  t.ok(Date.now() - started < 60_000, 'no time-out waited for');
  t.equal(await serverMain(), before);

  // ccr push with no git at all: said at once (the run's time-out is not left pending).
  const t0 = Date.now();
  const none = await ccr(['push'], { cwd: wc, env: { ...janeEnv, PATH: bin } });
  t.equal(none.status, 1);
  t.match(none.stderr, /git/);
  t.ok(Date.now() - t0 < 60_000, `ccr push ended in ${Date.now() - t0} ms`);
});
