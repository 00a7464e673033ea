// Reading git's configuration files without starting git, where a plain look settles the
// question (issue 17: a git start is 2–5 ms of a command). Only ever a "no": when a file could
// hold what is asked, or git could read configuration from somewhere not looked at here, git is asked.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A config file's text, or undefined when it cannot be read (then git is asked). */
export function readConfig(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Variables by which git takes configuration from elsewhere than the files below. */
const ELSEWHERE = ['GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_CONFIG', 'GIT_DIR', 'GIT_COMMON_DIR'];

/**
 * False only when no configuration git would read for the repository at `gitdir` can hold a word
 * matching `word` (a section or key name, which git's syntax cannot escape) nor an include: the
 * system files (/etc/gitconfig and /usr/local/etc/gitconfig, or GIT_CONFIG_SYSTEM), the user's
 * (GIT_CONFIG_GLOBAL, else ~/.gitconfig and the XDG one) and the repository's (config,
 * config.worktree), each either missing or read; no configuration from the environment.
 */
export function configMayHold(gitdir: string, word: RegExp, env: NodeJS.ProcessEnv = process.env): boolean {
  if (ELSEWHERE.some((k) => env[k] !== undefined)) return true;
  const home = env['HOME'] || homedir();
  const nosystem = env['GIT_CONFIG_NOSYSTEM'] && !/^(0|false|no|off)$/i.test(env['GIT_CONFIG_NOSYSTEM']);
  const system = nosystem
    ? []
    : env['GIT_CONFIG_SYSTEM'] !== undefined
      ? [env['GIT_CONFIG_SYSTEM']]
      : ['/etc/gitconfig', '/usr/local/etc/gitconfig'];
  const xdg = env['XDG_CONFIG_HOME']?.startsWith('/') ? env['XDG_CONFIG_HOME'] : join(home, '.config');
  const global =
    env['GIT_CONFIG_GLOBAL'] !== undefined
      ? [env['GIT_CONFIG_GLOBAL']]
      : [join(home, '.gitconfig'), join(xdg, 'git', 'config')];
  for (const file of [...system, ...global, join(gitdir, 'config'), join(gitdir, 'config.worktree')]) {
    if (file === '' || file === '/dev/null') continue;
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // not there: nothing in it
      return true; // there but not readable here: git's to read
    }
    if (word.test(text) || /include/i.test(text)) return true;
  }
  return false;
}
