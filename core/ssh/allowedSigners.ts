// The `allowed_signers` file of `ssh-keygen -Y verify` and git's `gpg.ssh.allowedSignersFile`: one
// line per key, `principal [options] key`. CCR writes lines with its principal name,
// `namespaces="git"` and the key's validity window in UTC (`YYYYMMDDHHMMSSZ`, which OpenSSH reads
// since 8.x without depending on the reader's time zone), and reads back the same subset. One bad
// line makes ssh-keygen stop reading the whole file, so rendering refuses anything it could not read.

import { InvalidInput } from '../errors.js';
import { formatPublicKey, parsePublicKey, type SshPublicKey } from './keys.js';
import { GIT_NAMESPACE } from './sshsig.js';

/** One entry of an allowed signers file. Times are seconds since the epoch, both ends included. */
export interface AllowedSigner {
  principal: string;
  key: SshPublicKey;
  /** The signature namespaces the key may be used for; absent means any. */
  namespaces?: string[];
  /** First second at which the key's signatures count. */
  validAfter?: number;
  /** Last second at which the key's signatures count. */
  validBefore?: number;
}

// No whitespace, quotes, commas or the pattern characters `*`, `?`, `!` that ssh-keygen would read
// as a pattern list; covers every CCR principal name (letters, digits, `.`, `_`, `-`).
const PRINCIPAL = /^[A-Za-z0-9._@+-]{1,256}$/;
const NAMESPACE = /^[A-Za-z0-9._@+-]{1,64}$/;
const TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const MAX_SECONDS = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/** A time as ssh-keygen reads it in UTC: `YYYYMMDDHHMMSSZ`. */
export function formatSshTime(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_SECONDS) {
    throw new InvalidInput(`expected a whole second from 1970 to 9999, found ${seconds}`);
  }
  return new Date(seconds * 1000)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Read `YYYYMMDDHHMMSSZ` (a real calendar time); null otherwise. */
export function parseSshTime(text: string): number | null {
  const m = TIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const b = new Date(ms);
  const fields = [
    b.getUTCFullYear(),
    b.getUTCMonth() + 1,
    b.getUTCDate(),
    b.getUTCHours(),
    b.getUTCMinutes(),
    b.getUTCSeconds(),
  ];
  if (fields.join() !== [y, mo, d, h, mi, s].join()) return null; // not a calendar time (30 February, hour 24)
  return ms / 1000 >= 1 ? ms / 1000 : null;
}

/**
 * One line of an allowed signers file (no newline). Namespaces default to `git`. Throws
 * InvalidInput for a principal or namespace ssh-keygen would misread, or an empty window.
 */
export function renderAllowedSigner(entry: AllowedSigner): string {
  if (!PRINCIPAL.test(entry.principal)) {
    const found = JSON.stringify(entry.principal.slice(0, 80));
    throw new InvalidInput(
      `expected a principal of letters, digits, \`.\`, \`_\`, \`-\`, \`@\` or \`+\`, found ${found}`,
    );
  }
  const namespaces = entry.namespaces ?? [GIT_NAMESPACE];
  if (namespaces.length === 0 || !namespaces.every((n) => NAMESPACE.test(n))) {
    throw new InvalidInput('expected one or more namespaces of letters, digits, `.`, `_`, `-`, `@` or `+`');
  }
  const options = [`namespaces="${namespaces.join(',')}"`];
  if (entry.validAfter !== undefined) options.push(`valid-after="${formatSshTime(entry.validAfter)}"`);
  if (entry.validBefore !== undefined) options.push(`valid-before="${formatSshTime(entry.validBefore)}"`);
  if (entry.validAfter !== undefined && entry.validBefore !== undefined && entry.validBefore <= entry.validAfter) {
    throw new InvalidInput('expected valid-before to be later than valid-after');
  }
  return `${entry.principal} ${options.join(',')} ${formatPublicKey(entry.key)}`;
}

/** Whole seconds for a window: the start rounded up and the end down, so a window never grows. */
export function windowSeconds(validAfter?: Date, validBefore?: Date): { validAfter?: number; validBefore?: number } {
  const out: { validAfter?: number; validBefore?: number } = {};
  if (validAfter) out.validAfter = Math.ceil(validAfter.getTime() / 1000);
  if (validBefore) out.validBefore = Math.floor(validBefore.getTime() / 1000);
  return out;
}

/** True when an entry lets its key sign in a namespace at a time (seconds). */
export function allowsAt(entry: AllowedSigner, namespace: string, seconds: number): boolean {
  if (entry.namespaces && !entry.namespaces.includes(namespace)) return false;
  if (entry.validAfter !== undefined && seconds < entry.validAfter) return false;
  return entry.validBefore === undefined || seconds <= entry.validBefore;
}

const OPTION = /^(namespaces|valid-after|valid-before)="([^"]*)"/;

/**
 * Read an allowed signers file in the subset CCR writes: `principal[,principal…]`, then optional
 * `namespaces="a,b"`, `valid-after="…Z"`, `valid-before="…Z"`, then the key; `#` comments and blank
 * lines. Patterns, certificate authorities and local-time windows are refused with the line number.
 */
export function parseAllowedSigners(
  text: string,
): { ok: true; entries: AllowedSigner[] } | { ok: false; line: number; reason: string } {
  const entries: AllowedSigner[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseLine(line);
    if ('reason' in parsed) return { ok: false, line: i + 1, reason: parsed.reason };
    entries.push(...parsed.entries);
  }
  return { ok: true, entries };
}

function parseLine(line: string): { entries: AllowedSigner[] } | { reason: string } {
  const sp = line.search(/[ \t]/);
  if (sp === -1) return { reason: 'expected `principal [options] key`, found one word' };
  const principals = line.slice(0, sp).split(',');
  if (!principals.every((p) => PRINCIPAL.test(p)))
    return { reason: 'expected principal names (no patterns, quotes or negation)' };
  let rest = line.slice(sp).trimStart();
  const options: { namespaces?: string[]; validAfter?: number; validBefore?: number } = {};
  if (!/^(ssh-|ecdsa-|sk-)/.test(rest)) {
    for (;;) {
      const m = OPTION.exec(rest);
      if (!m) {
        const found = JSON.stringify(rest.slice(0, 30));
        return {
          reason: `expected the options namespaces, valid-after or valid-before in double quotes, found ${found}`,
        };
      }
      const [whole, name, value] = m as unknown as [string, string, string];
      if (name === 'namespaces') {
        if (options.namespaces) return { reason: 'expected one namespaces option' };
        options.namespaces = value.split(',');
      } else {
        const t = parseSshTime(value);
        if (t === null)
          return { reason: `expected ${name} as a UTC time YYYYMMDDHHMMSSZ, found ${JSON.stringify(value)}` };
        const field = name === 'valid-after' ? 'validAfter' : 'validBefore';
        if (options[field] !== undefined) return { reason: `expected one ${name} option` };
        options[field] = t;
      }
      rest = rest.slice(whole.length);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (/^[ \t]/.test(rest)) break;
      else return { reason: 'expected a comma or a space after an option' };
    }
    rest = rest.trimStart();
  }
  if (
    options.validAfter !== undefined &&
    options.validBefore !== undefined &&
    options.validBefore <= options.validAfter
  ) {
    return { reason: 'expected valid-before to be later than valid-after' };
  }
  const key = parsePublicKey(rest);
  if (!key.ok) return { reason: key.reason };
  return { entries: principals.map((principal) => ({ principal, key: key.key, ...options })) };
}
