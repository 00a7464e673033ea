#!/usr/bin/env node
// Make a fresh machine ready: the git CLI (a runtime dependency of the server), the npm packages,
// and the compiled JavaScript in dist/; with --browser also the Chromium the web view's tests
// drive (Debian's package, never a browser download). Safe to run again; does only what is missing.
// Usage: node scripts/setup.mjs [--quiet] [--browser]

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const say = (m) => { if (!quiet) console.error(`setup: ${m}`); };
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
};
const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const apt = (args) => (process.getuid?.() === 0 ? run('apt-get', args) : run('sudo', ['-n', 'apt-get', ...args]));
const chromium = process.env.CCR_CHROMIUM ?? '/usr/bin/chromium';

try {
  if (!has('git')) {
    say('installing the git CLI');
    if (!has('apt-get')) throw new Error('the git CLI is missing: install it with your package manager (Debian: apt-get install git)');
    apt(['update', '-q']);
    apt(['install', '-y', '-q', 'git']);
  }
  const [major, minor] = execFileSync('git', ['--version'], { encoding: 'utf8' }).match(/(\d+)\.(\d+)/).slice(1).map(Number);
  if (major < 2 || (major === 2 && minor < 36)) throw new Error(`git 2.36 or later is needed (core.fsync), found ${major}.${minor}`);
  if (process.argv.includes('--browser') && !existsSync(chromium)) {
    // Only the browser tests need it: when it cannot be installed here they fail and say what to do.
    try {
      if (!has('apt-get')) throw new Error('no apt-get');
      say('installing Chromium for the web view tests');
      apt(['update', '-q']);
      apt(['install', '-y', '-q', 'chromium']);
    } catch (e) {
      console.error(`setup: no Chromium at ${chromium} (${e.message}): the web view tests will fail until one is installed ` +
        '(Debian: apt-get install chromium) or CCR_CHROMIUM names one');
    }
  }
  if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
    say('installing npm packages');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  say('compiling TypeScript');
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', root]);
} catch (e) {
  console.error(`setup failed: ${e.message}`);
  process.exit(1);
}
