// Tokens kept out of repositories, against a real server with git's own `store` credential helper
// in a temporary HOME: ccr login, ccr clone and push through the helper, CCR_USER / CCR_TOKEN, a
// URL with a token in it, and the warning for a remote URL that holds one.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { ccr, hasStack } from '../helpers/cli.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { jane } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

/** The one line ccr login writes when git's store helper is in force. */
const storeWarning =
  'ccr: warning: git\'s credential helper "store" writes the token in clear to a file your user ' +
  "can read (~/.git-credentials); prefer cache --timeout=28800 or your system's keychain " +
  '(libsecret, osxkeychain, manager)\n';

/** Every file under a folder whose bytes hold `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = `${dir}/${name}`;
    const stat = statSync(path);
    if (stat.isDirectory()) found.push(...filesHolding(path, secret));
    else if (stat.isFile() && readFileSync(path).includes(secret)) found.push(path); // not the cache's socket
  }
  return found;
}

/** A user's HOME whose git keeps credentials with the `store` helper (~/.git-credentials), and ccr settings for jane. */
async function userHome(t: Test, helper = true): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const home = tempDir(t, 'ccr-home-');
  writeFileSync(`${home}/.gitconfig`, helper ? '[credential]\n\thelper = store\n' : '');
  const env = { HOME: home, GIT_CONFIG_GLOBAL: `${home}/.gitconfig`, CCR_CONFIG: `${home}/ccr.json` };
  for (const [k, v] of [
    ['participant-id', jane.participant_id],
    ['display-name', jane.display_name],
    ['role', jane.role],
    ['care-location', 'Ward 7'],
  ]) {
    await ccr(['config', 'set', k!, v!], { env });
  }
  return { home, env };
}

t.test(
  "ccr login keeps the token in git's credential helper; ccr clone, ccr push and plain git use it; no repository holds it",
  async (t) => {
    const s = await testServer(t);
    const { jane: creds } = await castPrincipals(s);
    const rec = await s.record({ participants: [jane] });
    const { home, env } = await userHome(t);

    const login = await ccr(['login', s.url, '--user', 'jane'], { env, input: `${creds.token}\n` });
    t.equal(login.status, 0, login.stderr);
    t.equal(
      login.stdout,
      `logged in to ${s.url} as jane: git's credential helper (store) keeps the token; no repository holds it\n`,
    );
    t.equal(login.stderr, storeWarning, 'one line warns that store writes the token in clear');
    t.match(
      readFileSync(`${home}/.git-credentials`, 'utf8'),
      `http://jane:${creds.token}@127.0.0.1`,
      "the store helper holds it, in the user's HOME",
    );

    const clone = await ccr(['clone', s.url, rec.id, 'c'], { cwd: home, env });
    t.equal(clone.status, 0, clone.stderr);
    const wc = `${home}/c`;
    t.same(filesHolding(`${wc}/.git`, creds.token), [], "the token is nowhere under the clone's .git");
    t.match(
      readFileSync(`${wc}/.git/config`, 'utf8'),
      `url = ${s.url}/coordination/${rec.id}.git\n`,
      'the remote URL has no credentials',
    );
    t.equal((await ccr(['message', 'add', rec.thread!, '-m', 'Seen in clinic.'], { cwd: wc, env })).status, 0);
    const pushed = await ccr(['push'], { cwd: wc, env });
    t.equal(pushed.status, 0, pushed.stderr);
    t.equal((await ccr(['pull'], { cwd: wc, env })).status, 0);
    t.notMatch(pushed.stderr + clone.stderr, /warning/, 'nothing to warn about');
    const plain = await gitRun(wc, ['fetch', 'origin'], { env: testGitEnv(env) });
    t.equal(plain.status, 0, `plain git finds the token too: ${plain.stderr}`);
    t.same(filesHolding(`${wc}/.git`, creds.token), [], 'still nowhere after push, pull and fetch');

    const logout = await ccr(['logout', s.url], { env });
    t.equal(logout.status, 0, logout.stderr);
    t.notMatch(readFileSync(`${home}/.git-credentials`, 'utf8'), creds.token, 'ccr logout removes it');
    const after = await ccr(['pull'], { cwd: wc, env });
    t.equal(after.status, 1);
    t.match(after.stderr, `ccr: no credentials for the server at ${s.url}`);
  },
);

t.test(
  'ccr login keeps nothing when the server refuses the token, cannot be reached, or git has no helper',
  async (t) => {
    const s = await testServer(t);
    const { jane: creds } = await castPrincipals(s);
    const { home, env } = await userHome(t);
    const wrong = await ccr(['login', s.url, '--user', 'jane'], { env, input: 'ccr_not-the-token\n' });
    t.equal(wrong.status, 1);
    t.equal(
      wrong.stderr,
      `ccr: the server at ${s.url} refused the credentials of jane; nothing was kept\nhint: check the principal name and the token (an administrator can create a new principal)\n`,
    );
    const down = await ccr(['login', 'http://127.0.0.1:1', '--user', 'jane'], { env, input: `${creds.token}\n` });
    t.equal(down.status, 1);
    t.match(
      down.stderr,
      /^ccr: cannot reach the server at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); nothing was kept\nhint: check the URL/,
    );
    t.notOk(existsSync(`${home}/.git-credentials`), 'nothing was kept');

    const bare = await userHome(t, false);
    const none = await ccr(['login', s.url, '--user', 'jane'], { env: bare.env, input: `${creds.token}\n` });
    t.equal(none.status, 1);
    const hint =
      'hint: choose one, then run ccr login again: git config --global credential.helper ' +
      '"cache --timeout=28800" (in memory, forgotten after 8 hours), or your system\'s keychain ' +
      '(libsecret, osxkeychain, manager); ' +
      'avoid store, which writes the token in clear to ~/.git-credentials\n';
    t.equal(none.stderr, `ccr: git has no credential helper for ${s.url}, so it would keep nothing\n${hint}`);
    const noUser = await ccr(['login', s.url], { env, input: `${creds.token}\n` });
    t.equal(noUser.status, 2);
    t.match(noUser.stderr, /^ccr: give the principal name with --user \(or CCR_USER\)/);
    t.notOk(hasStack(wrong.stderr + down.stderr + none.stderr + noUser.stderr));
  },
);

t.test("with git's cache helper ccr login keeps the token in memory, unwarned; a store helper warns", async (t) => {
  const s = await testServer(t);
  const { jane: creds } = await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const { home, env } = await userHome(t, false);
  writeFileSync(`${home}/.gitconfig`, '[credential]\n\thelper = cache --timeout=600\n');
  // git starts the cache daemon; it is told to exit when the test ends (and exits on its own 600 s after).
  t.teardown(() => {
    spawnSync('git', ['credential-cache', 'exit'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  });

  const login = await ccr(['login', s.url, '--user', 'jane'], { env, input: `${creds.token}\n` });
  t.equal(login.status, 0, login.stderr);
  t.equal(login.stderr, '', 'no warning');
  t.equal(
    login.stdout,
    `logged in to ${s.url} as jane: git's credential helper (cache --timeout=600) keeps ` +
      'the token; no repository holds it\n',
  );
  t.same(filesHolding(home, creds.token), [], 'the token is in no file under HOME');
  const clone = await ccr(['clone', s.url, rec.id, 'c'], { cwd: home, env });
  t.equal(clone.status, 0, `ccr clone finds it in the cache: ${clone.stderr}`);
  t.same(filesHolding(home, creds.token), [], 'still in no file after the clone');

  // git runs every helper listed: store before cache still writes the token in clear.
  for (const helpers of [
    ['store', 'cache --timeout=600'],
    ['cache --timeout=600', `store --file ${home}/creds`],
  ]) {
    writeFileSync(`${home}/.gitconfig`, `[credential]\n${helpers.map((h) => `\thelper = ${h}\n`).join('')}`);
    const again = await ccr(['login', s.url, '--user', 'jane'], { env, input: `${creds.token}\n` });
    t.equal(again.status, 0, again.stderr);
    t.equal(again.stderr, storeWarning, `helpers ${helpers.join(', ')}: warned`);
  }
  // An empty helper value clears those listed before it, as git does: store no longer in force.
  writeFileSync(`${home}/.gitconfig`, '[credential]\n\thelper = store\n\thelper =\n\thelper = cache --timeout=600\n');
  const cleared = await ccr(['login', s.url, '--user', 'jane'], { env, input: `${creds.token}\n` });
  t.equal(cleared.status, 0, cleared.stderr);
  t.equal(cleared.stderr, '', 'store cleared by an empty value: no warning');
});

t.test('CCR_USER and CCR_TOKEN, or a token in the URL, serve one command and are written nowhere', async (t) => {
  const s = await testServer(t);
  const { jane: creds } = await castPrincipals(s);
  const rec = await s.record({ participants: [jane] });
  const { home, env } = await userHome(t, false);
  const viaEnv = await ccr(['clone', s.url, rec.id, 'e'], {
    cwd: home,
    env: { ...env, CCR_USER: 'jane', CCR_TOKEN: creds.token },
  });
  t.equal(viaEnv.status, 0, viaEnv.stderr);
  t.same(filesHolding(`${home}/e/.git`, creds.token), [], 'CCR_TOKEN is nowhere under .git');
  t.notOk(existsSync(`${home}/.git-credentials`));

  const url = new URL(s.url);
  url.username = 'jane';
  url.password = creds.token;
  const viaUrl = await ccr(['clone', url.toString(), rec.id, 'u'], { cwd: home, env });
  t.equal(viaUrl.status, 0, viaUrl.stderr);
  t.equal(
    viaUrl.stderr.split('\n').slice(0, 2).join('\n'),
    `ccr: warning: the token in the URL is used for this clone only; it is not written into the clone\nhint: ccr login ${s.url} --user jane keeps it in git's credential helper for later commands`,
  );
  t.same(filesHolding(`${home}/u/.git`, creds.token), [], 'the token of the URL is nowhere under .git');
  t.match(readFileSync(`${home}/u/.git/config`, 'utf8'), `url = ${s.url}/coordination/${rec.id}.git\n`);
});

t.test(
  'ccr warns, with the fix, when a remote URL holds a token (as a plain git clone with one in its URL leaves)',
  async (t) => {
    const s = await testServer(t);
    const { jane: creds } = await castPrincipals(s);
    const rec = await s.record({ participants: [jane] });
    const { home, env } = await userHome(t, false);
    await gitOk(home, ['clone', '-q', s.gitUrl(rec.id, creds), 'p']);
    t.match(readFileSync(`${home}/p/.git/config`, 'utf8'), creds.token, 'plain git wrote the token into .git/config');
    const warning =
      `ccr: warning: the URL of remote origin holds a token, kept in clear in ${home}/p/.git/config\n` +
      `hint: keep it in git's credential helper instead: ccr login ${s.url} --user jane; then git remote set-url origin ${s.url}/coordination/${rec.id}.git\n`;
    for (const args of [['thread', 'list'], ['pull'], ['verify', '.'], ['export', 'fhir', '--out', `${home}/b.json`]]) {
      const r = await ccr(args, { cwd: `${home}/p`, env });
      t.equal(r.status, 0, `${args[0]} still works: ${r.stderr}`);
      t.ok(r.stderr.startsWith(warning), `${args.join(' ')} warns: ${r.stderr}`);
    }
    // The fix the warning gives, followed: no more warning.
    await gitOk(`${home}/p`, ['remote', 'set-url', 'origin', `${s.url}/coordination/${rec.id}.git`]);
    const quiet = await ccr(['thread', 'list'], { cwd: `${home}/p`, env });
    t.equal(quiet.stderr, '', 'no warning once the URL holds no token');
  },
);
