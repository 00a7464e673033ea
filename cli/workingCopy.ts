// What the writing commands share: the working copy they run in, the user's identity from
// `ccr config`, the message body from an argument, a file, stdin or $EDITOR, and git run the way
// the user's own git runs (their credential helpers), or with CCR_USER / CCR_TOKEN.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheDir } from './codeCache.js';
import type { Principal } from '../core/principal.js';
import { parseParticipantId, type ParticipantId } from '../core/ids.js';
import type { Role } from '../core/vocabulary.js';
import type { CoordinationService } from '../service/CoordinationService.js';
import { UsageError } from './args.js';
import { expandHome, loadSettings, type Settings } from './config.js';
import type { CommitSigner } from '../git/build.js';
import { sshKeygenSigner } from '../git/signers.js';
import { warnTokensInRemotes } from './credentials.js';
import { explainGitFailure, type GitContext } from './explain.js';
import { gitDirOf } from './gitDir.js';
import { configMayHold } from './gitConfig.js';
import { runGit } from '../git/run.js';

/** The user as the writing commands need them. */
export interface Identity {
  participant: { id: ParticipantId; name: string; role: Role };
  author: { name: string; email: string };
  careLocation: string;
}

function need(settings: Settings, key: keyof Settings): string {
  const value = settings[key];
  if (!value) throw new UsageError(`${key} is not set; run: ccr config set ${key} <value>`);
  return value;
}

/** The identity from the settings; a UsageError names what is missing. */
export function identityOf(settings: Settings, careLocation?: string): Identity {
  // The settings are a file the user may have edited by hand: the id is parsed here, once.
  const id = parseParticipantId(need(settings, 'participant-id'));
  if (id === null)
    throw new UsageError('participant-id is not a canonical UUID; run: ccr config set participant-id <uuid>');
  const name = need(settings, 'display-name');
  return {
    participant: { id, name, role: need(settings, 'role') as Role },
    author: { name: settings.name ?? name, email: settings.email ?? `${id}@ccr.invalid` },
    careLocation: careLocation ?? need(settings, 'care-location'),
  };
}

/**
 * The working copy around the current folder, opened with the user's identity as principal.
 * `writes: false` (thread list and show, status show) does not look for a signing key: it asks
 * git's configuration, a git start, for commits the command never makes.
 */
export async function openWorkingCopy(
  careLocation?: string,
  { writes = true }: { writes?: boolean } = {},
): Promise<{ svc: CoordinationService; me: Identity; dir: string; gitdir: string }> {
  const gitdir = await gitDirOf('.');
  const dir = dirOf(gitdir);
  // The remotes' check and the signer's git config run side by side (each may start git); what they
  // say comes out in the order it always did: the warning, then a missing setting, then the signer's refusal.
  const warned = warnTokensInRemotes(gitdir);
  const settings = loadSettings(gitdir);
  const signing = writes ? settings.then((s) => signerOf(s, dir, gitdir)) : Promise.resolve(undefined);
  await Promise.allSettled([warned, signing]);
  await warned;
  const me = identityOf(await settings, careLocation);
  const principal: Principal = {
    kind: 'participant',
    name: me.participant.name,
    participantId: me.participant.id,
    role: me.participant.role,
    displayName: me.participant.name,
  };
  const signer = await signing;
  // Loaded here, not above: push, pull and clone use this module and need none of the service.
  const { CoordinationService } = await import('../service/CoordinationService.js');
  return { svc: await CoordinationService.at(dir, undefined, principal, signer), me, dir, gitdir };
}

/**
 * How the user's commits are signed: `ccr config set signing-key PATH`, else git's own
 * `user.signingkey` when `gpg.format` is `ssh` (a path, or a literal `key::ssh-…` / `ssh-…` key
 * whose private half ssh-agent holds). The private key stays with ssh-keygen.
 */
export async function signerOf(settings: Settings, dir: string, gitdir: string): Promise<CommitSigner | undefined> {
  if (settings['signing-key']) return sshKeygenSigner(expandHome(settings['signing-key']));
  // No file git reads names gpg: gpg.format is not ssh, and git need not start.
  if (!configMayHold(gitdir, /gpg/i)) return undefined;
  // The user's own git configuration (not CCR's gitEnv), asked without blocking: openWorkingCopy runs other git meanwhile.
  const git = (key: string) =>
    runGit(['config', '--get', key], { cwd: dir, env: process.env }).then(
      (r) => r.stdout.toString('utf8').trim(),
      () => '',
    );
  if ((await git('gpg.format')) !== 'ssh') return undefined;
  const key = await git('user.signingkey');
  if (!key) return undefined;
  const literal = key.startsWith('key::')
    ? key.slice(5)
    : key.startsWith('ssh-') || key.startsWith('ecdsa-') || key.startsWith('sk-')
      ? key
      : null;
  if (literal === null) return sshKeygenSigner(expandHome(key));
  return sshKeygenSigner(publicKeyFile(literal));
}

/**
 * A file holding a public key given literally (ssh-keygen signs with the private half in
 * ssh-agent, named by a file): in the user's cache folder under the key's hash, written once and
 * kept (it is public), so nothing is left to clean up when the command ends (the ccr agent runs
 * many); a temporary folder removed on exit where there is no cache folder.
 */
function publicKeyFile(literal: string): string {
  const dir = cacheDir();
  if (dir) {
    const file = join(dir, 'signing-keys', `${createHash('sha256').update(literal).digest('hex')}.pub`);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    let written: string | undefined;
    try {
      written = readFileSync(file, 'utf8');
    } catch {
      /* not yet */
    }
    if (written !== `${literal}\n`) writeFileSync(file, `${literal}\n`);
    return file;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'ccr-signing-'));
  writeFileSync(join(tmp, 'key.pub'), `${literal}\n`);
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  return join(tmp, 'key.pub');
}

/** The body of a message: --message, --file (`-` for stdin), piped stdin, or $EDITOR (also with --edit). */
export function readBody(v: Record<string, unknown>): string {
  if (typeof v['message'] === 'string') return v['message'];
  const file = v['file'];
  if (file === '-' || (file === undefined && !v['edit'] && !process.stdin.isTTY)) return readFileSync(0, 'utf8');
  if (typeof file === 'string') return readFileSync(file, 'utf8');
  const editor = process.env['VISUAL'] ?? process.env['EDITOR'];
  if (!editor) throw new UsageError('give the message with --message, --file or stdin, or set $EDITOR');
  const dir = mkdtempSync(join(tmpdir(), 'ccr-message-'));
  try {
    const path = join(dir, 'MESSAGE.md');
    writeFileSync(path, '');
    const r = spawnSync(`${editor} "${path}"`, { shell: true, stdio: 'inherit' });
    if (r.status !== 0) throw new UsageError(`${editor} exited with ${r.status}; nothing was written`);
    return readFileSync(path, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Participants given as `ID:ROLE:DISPLAY NAME` (the name may hold colons). */
export function parseParticipants(
  values: unknown,
): Array<{ participant_id: string; role: Role; display_name: string }> {
  return ([] as string[]).concat((values as string[] | undefined) ?? []).map((spec) => {
    const [id, role, ...name] = spec.split(':');
    if (!id || !role || name.length === 0)
      throw new UsageError(`expected a participant as ID:ROLE:DISPLAY NAME, found ${JSON.stringify(spec)}`);
    return { participant_id: id, role: role as Role, display_name: name.join(':') };
  });
}

/** Arguments for the user's git: a credential helper answering from CCR_USER / CCR_TOKEN when both are set, LF kept. */
export function userGitArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const creds =
    env['CCR_USER'] && env['CCR_TOKEN']
      ? [
          '-c',
          'credential.helper=',
          '-c',
          'credential.helper=!f() { echo "username=$CCR_USER"; echo "password=$CCR_TOKEN"; }; f',
        ]
      : [];
  return [...creds, '-c', 'core.autocrlf=false', '-c', 'core.eol=lf'];
}

/** Credentials for one command only (taken out of a URL): passed to git's helper through the environment, never written. */
export interface OneTimeCredentials {
  user: string;
  token: string;
}

/**
 * Run git for the network commands as the user's own git runs (their configuration, credential
 * helpers and proxies), adding a helper that answers from CCR_USER / CCR_TOKEN (or `creds`) when
 * set. Output goes to the terminal; a failure git's words do not make clear is put in words
 * (`context`). Gives 0, or 1 when git failed.
 */
export function gitForUser(
  args: string[],
  cwd: string,
  context: GitContext = {},
  creds?: OneTimeCredentials,
): Promise<number> {
  const env = creds ? { ...process.env, CCR_USER: creds.user, CCR_TOKEN: creds.token } : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...userGitArgs(env), ...args], { cwd, env, stdio: ['inherit', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-65536);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        process.stderr.write(stderr);
        return resolve(0);
      }
      const explained = explainGitFailure(stderr, {
        ...context,
        ...((context.user ?? env['CCR_USER']) ? { user: context.user ?? env['CCR_USER']! } : {}),
      });
      if (!explained) process.stderr.write(stderr);
      else {
        const detail = /^fatal: (.*)$/m.exec(stderr)?.[1];
        process.stderr.write(
          `ccr: ${explained.message}${detail ? ` (git: ${detail})` : ''}\n${explained.hint ? `hint: ${explained.hint}\n` : ''}`,
        );
      }
      resolve(1);
    });
  });
}

/** The working copy around the current folder (its top folder and git dir); warns when a remote's URL holds a token. */
export async function workingCopyDir(): Promise<{ dir: string; gitdir: string }> {
  const gitdir = await gitDirOf('.');
  await warnTokensInRemotes(gitdir);
  return { dir: dirOf(gitdir), gitdir };
}

/** The top folder of a working copy, from its git dir. */
export function dirOf(gitdir: string): string {
  return gitdir.replace(/\/\.git$/, '');
}

/** A boolean option given as text. */
export function bool(v: unknown, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`--${name} takes true or false`);
}
