// Git's configuration looked at without starting git (cli/gitConfig.ts, issue 17): a "no" only
// where git, asked, finds nothing; every place git reads configuration from is looked at, and
// what cannot be read, or comes from the environment, is left to git.

import { mkdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { configMayHold } from '../../cli/gitConfig.js';
import { runGit } from '../../git/run.js';
import { gitIn } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

t.test(
  'configMayHold: false only where git finds no gpg.format; every source of configuration looked at',
  async (t) => {
    const cases: Array<[string, (home: string) => NodeJS.ProcessEnv, boolean]> = [
      ['nothing anywhere', () => ({}), false],
      ['a user name only', (h) => (writeFileSync(`${h}/.gitconfig`, '[user]\n\tname = Jane\n'), {}), false],
      ['~/.gitconfig', (h) => (writeFileSync(`${h}/.gitconfig`, '[gpg]\n\tformat = ssh\n'), {}), true],
      [
        'the XDG file, another case',
        (h) => (
          mkdirSync(`${h}/.config/git`, { recursive: true }),
          writeFileSync(`${h}/.config/git/config`, '[GPG]format=ssh\n'),
          {}
        ),
        true,
      ],
      [
        'an include in the repository',
        (h) => (
          writeFileSync(`${h}/other`, '[gpg]\n\tformat = ssh\n'),
          gitIn(`${h}/wc`, ['config', 'include.path', `${h}/other`]),
          {}
        ),
        true,
      ],
      ['the repository', (h) => (gitIn(`${h}/wc`, ['config', 'gpg.format', 'ssh']), {}), true],
      [
        'the environment',
        () => ({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gpg.format', GIT_CONFIG_VALUE_0: 'ssh' }),
        true,
      ],
      [
        'GIT_CONFIG_GLOBAL names the file',
        (h) => (writeFileSync(`${h}/g`, '[gpg]\n\tformat = ssh\n'), { GIT_CONFIG_GLOBAL: `${h}/g` }),
        true,
      ],
      [
        'GIT_CONFIG_GLOBAL set aside, ~/.gitconfig is not read',
        (h) => (writeFileSync(`${h}/.gitconfig`, '[gpg]\n\tformat = ssh\n'), { GIT_CONFIG_GLOBAL: '/dev/null' }),
        false,
      ],
      [
        'the system file named',
        (h) => (
          writeFileSync(`${h}/s`, '[gpg]\n\tformat = ssh\n'),
          { GIT_CONFIG_NOSYSTEM: '', GIT_CONFIG_SYSTEM: `${h}/s` }
        ),
        true,
      ],
      ['a config that is a folder: not readable here', (h) => (mkdirSync(`${h}/.gitconfig`), {}), true],
    ];
    for (const [name, setUp, expected] of cases) {
      const home = tempDir(t);
      gitIn(home, ['init', '-q', '-b', 'main', 'wc']);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'],
        HOME: home,
        GIT_CONFIG_NOSYSTEM: '1',
        ...setUp(home),
      };
      const may = configMayHold(`${home}/wc/.git`, /gpg/i, env);
      t.equal(may, expected, name);
      const git = await runGit(['config', '--get', 'gpg.format'], { cwd: `${home}/wc`, env });
      if (!may) t.equal(git.stdout.toString().trim(), '', `${name}: git finds none either`);
      else if (name !== 'a config that is a folder: not readable here')
        t.equal(git.stdout.toString().trim(), 'ssh', `${name}: git finds it`);
    }
  },
);
