#!/usr/bin/env node
// Make a fresh machine ready: the git CLI (a runtime dependency of the server), the npm packages,
// the compiled JavaScript in dist/, the bundled `ccr` command in dist/bundle/ and the hook's C
// client in dist/hooks/ (when there is a C compiler: the bash hook otherwise); with --browser
// also the Chromium the web view's tests drive (Debian's package, never a browser download).
// Safe to run again; does only what is missing.
// Usage: node scripts/setup.mjs [--quiet] [--browser]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const say = (m) => {
  if (!quiet) console.error(`setup: ${m}`);
};
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
};
const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const chromium = process.env.CCR_CHROMIUM ?? '/usr/bin/chromium';
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
/** Install Debian packages, as root or through a sudo that asks nothing; `what` names them for the error. */
const aptInstall = (packages, what) => {
  if (!has('apt-get'))
    throw new Error(
      `${what} is missing: install it with your package manager (Debian: apt-get install ${packages.join(' ')})`,
    );
  const apt = (args) => (process.getuid?.() === 0 ? run('apt-get', args) : run('sudo', ['-n', 'apt-get', ...args]));
  apt(['update', '-q']);
  apt(['install', '-y', '-q', ...packages]);
};

try {
  if (!has('git')) {
    say('installing the git CLI');
    aptInstall(['git'], 'the git CLI');
  }
  // ssh-keygen is the reference the SSH signature tests check CCR against.
  if (!onPath('ssh-keygen')) {
    say('installing ssh-keygen (openssh-client)');
    aptInstall(['openssh-client'], 'ssh-keygen');
  }
  const [major, minor] = execFileSync('git', ['--version'], { encoding: 'utf8' })
    .match(/(\d+)\.(\d+)/)
    .slice(1)
    .map(Number);
  if (major < 2 || (major === 2 && minor < 36))
    throw new Error(`git 2.36 or later is needed (core.fsync), found ${major}.${minor}`);
  if (process.argv.includes('--browser') && !existsSync(chromium)) {
    // Only the browser tests need it: when it cannot be installed here they fail and say what to do.
    try {
      say('installing Chromium for the web view tests');
      aptInstall(['chromium'], 'Chromium');
    } catch (e) {
      console.error(
        `setup: no Chromium at ${chromium} (${e.message}): the web view tests will fail until one is ` +
          'installed (Debian: apt-get install chromium) or CCR_CHROMIUM names one',
      );
    }
  }
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    say('installing npm packages');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  say('compiling TypeScript');
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', root]);
  say('bundling the ccr command');
  run(process.execPath, [join(root, 'scripts', 'bundle.mjs')]);
  say('compiling the pre-receive hook');
  run(process.execPath, [join(root, 'scripts', 'hook.mjs')]);
} catch (e) {
  console.error(`setup failed: ${e.message}`);
  process.exit(1);
}
