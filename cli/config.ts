// `ccr config`: who the user is (participant id, display name, role), where they work (care
// location) and how their commits are signed, kept in the user's config file or a working copy's
// own, so a clinician does not type them on every command.

import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isUuid } from '../core/ids.js';
import { careLocationProblem } from '../core/commitMessage.js';
import { isOneOf, roles } from '../core/vocabulary.js';
import { writeFileDurable } from '../git/fsutil.js';
import { out, UsageError, type Command } from './args.js';

/** The settings, by the key `ccr config set` takes. */
export interface Settings {
  'participant-id'?: string;
  'display-name'?: string;
  role?: string;
  'care-location'?: string;
  /** Commit author name and email (default: the display name and `<participant-id>@ccr.invalid`). */
  name?: string;
  email?: string;
  /**
   * An SSH private key file (or a public key whose private half ssh-agent holds) to sign every
   * commit with, through `ssh-keygen -Y sign -n git` (git's `gpg.format=ssh`).
   */
  'signing-key'?: string;
}

const keys: Array<keyof Settings> = [
  'participant-id',
  'display-name',
  'role',
  'care-location',
  'name',
  'email',
  'signing-key',
];

/** Why a value is not acceptable for a key, or null. */
function problem(key: keyof Settings, value: string): string | null {
  if (key === 'participant-id' && !isUuid(value)) return 'expected a participant id in canonical UUID form';
  if (key === 'role' && !isOneOf(roles, value)) return `expected one of ${roles.join(', ')}`;
  if (key === 'care-location') return careLocationProblem(value);
  if (key === 'signing-key' && !existsSync(expandHome(value)))
    return `expected the path of an SSH key file, found no file at ${value}`;
  if (value.trim() === '' || /[\n\r<>`]/.test(value)) return 'expected one line of text without <, > or backticks';
  return null;
}

/** A path with a leading `~/` made absolute. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** The user's config file: $CCR_CONFIG, or $XDG_CONFIG_HOME/ccr/config.json, or ~/.config/ccr/config.json. */
export function userConfigPath(): string {
  return (
    process.env['CCR_CONFIG'] ??
    join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'ccr', 'config.json')
  );
}

async function readSettings(path: string): Promise<Settings> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as Settings;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`${path} is not readable JSON: ${(e as Error).message}`);
  }
}

/** The settings in force in a folder: the working copy's own over the user's. */
export async function loadSettings(gitdir?: string): Promise<Settings> {
  const user = await readSettings(userConfigPath());
  return gitdir ? { ...user, ...(await readSettings(`${gitdir}/ccr.json`)) } : user;
}

export const config: Command = {
  help: `ccr config set <key> <value> [--local]
ccr config get <key>
ccr config list

Keys: participant-id, display-name, role, care-location, name, email (the commit author),
signing-key (an SSH key file: every commit is signed with ssh-keygen, as git commit -S with
gpg.format=ssh; without it, git's own user.signingkey is used when gpg.format is ssh).
Stored in ${userConfigPath()} (CCR_CONFIG to choose), or with --local in the working copy's .git/ccr.json.

Example:
  ccr config set participant-id 4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12
  ccr config set display-name "Dr Jane Smith"
  ccr config set role clinician
  ccr config set care-location "Oxford University Hospitals"`,
  options: { local: { type: 'boolean' } },
  async run(v, [action, key, value]) {
    const json = v['json'] === true;
    if (action === 'list' || (action === 'get' && key)) {
      const { gitDirOf } = await import('./gitDir.js');
      const gitdir = await gitDirOf('.').catch(() => undefined);
      const all = await loadSettings(gitdir);
      if (action === 'list')
        out(
          json,
          all,
          keys
            .filter((k) => all[k] !== undefined)
            .map((k) => `${k}=${all[k]}`)
            .join('\n') || '(nothing set)',
        );
      else out(json, { [key!]: all[key as keyof Settings] ?? null }, all[key as keyof Settings] ?? '');
      return all[key as keyof Settings] === undefined && action === 'get' ? 1 : 0;
    }
    if (action !== 'set' || !key || value === undefined)
      throw new UsageError('use: ccr config set <key> <value> | get <key> | list');
    if (!keys.includes(key as keyof Settings)) throw new UsageError(`unknown key ${key}; keys: ${keys.join(', ')}`);
    const why = problem(key as keyof Settings, value);
    if (why) throw new UsageError(`${key}: ${why}`);
    let path = userConfigPath();
    if (v['local']) {
      const { gitDirOf } = await import('./gitDir.js');
      path = `${await gitDirOf('.')}/ccr.json`;
    }
    // A key file is kept as an absolute path: the commands run from any folder.
    const settings = {
      ...(await readSettings(path)),
      [key]: key === 'signing-key' ? resolve(expandHome(value)) : value,
    };
    await fs.mkdir(dirname(path), { recursive: true });
    await writeFileDurable(path, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
    out(json, { [key]: value, file: path }, `${key} = ${value} (${path})`);
    return 0;
  },
};
