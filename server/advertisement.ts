// The ref advertisement (`info/refs`) answered without starting git where that is safe: a spawn
// costs the event loop 1–17 ms (more as the server's memory grows; issue 17), and every push and
// fetch begins with one. git shows how once: the first answer of each kind is git's own, and what
// does not depend on the repository is kept from it (the capability list of receive-pack, the
// whole protocol-v2 answer of upload-pack). Later answers are those bytes with the record's
// `main`. Anything unusual (a ref besides `main` and the hidden `refs/ccr/…`, a ref being
// updated, alternates, an old protocol) is answered by git, as before.

import { readdirSync, readFileSync } from 'node:fs';
import { isOid, type Oid } from '../core/objects.js';
import { MAIN, readRef } from '../git/refs.js';

/** A pkt-line. */
export function pkt(line: string): string {
  return (line.length + 4).toString(16).padStart(4, '0') + line;
}

/** Answers `info/refs` without git when it can, learning from git's answers. */
export interface AdvertisementSource {
  /** The answer for a record without git, or null when git must answer. */
  answer(
    gitdir: string,
    service: 'git-upload-pack' | 'git-receive-pack',
    protocol: string | undefined,
  ): Promise<Buffer | null>;
  /** Keep what git's own answer for a record shows. */
  learn(service: 'git-upload-pack' | 'git-receive-pack', protocol: string | undefined, answer: Buffer): void;
}

/** What git's answers taught, by service and protocol. */
export class Advertisements implements AdvertisementSource {
  /** receive-pack's capabilities (after the NUL of its first line). */
  #receiveCaps: string | null = null;
  /** upload-pack's protocol-v2 answer (it names no refs). */
  #uploadV2: Buffer | null = null;

  /** The answer for a record without git, or null when git must answer. */
  async answer(
    gitdir: string,
    service: 'git-upload-pack' | 'git-receive-pack',
    protocol: string | undefined,
  ): Promise<Buffer | null> {
    if (service === 'git-upload-pack') return protocol === 'version=2' ? this.#uploadV2 : null;
    if (this.#receiveCaps === null) return null;
    const main = await onlyMain(gitdir);
    return main ? Buffer.from(pkt(`${main} ${MAIN}\0${this.#receiveCaps}\n`) + '0000', 'latin1') : null;
  }

  /** Keep what git's own answer for a record shows (only answers of the expected shape teach anything). */
  learn(service: 'git-upload-pack' | 'git-receive-pack', protocol: string | undefined, answer: Buffer): void {
    if (service === 'git-upload-pack') {
      if (
        protocol === 'version=2' &&
        answer.toString('latin1').startsWith(pkt('version 2\n')) &&
        answer.toString('latin1').endsWith('0000')
      ) {
        this.#uploadV2 ??= answer;
      }
      return;
    }
    const text = answer.toString('latin1');
    const m = /^([0-9a-f]{4})([0-9a-f]{40}) refs\/heads\/main\0([^\n\0]*)\n0000$/.exec(text);
    if (m && parseInt(m[1]!, 16) === text.length - 4) this.#receiveCaps ??= m[3]!;
  }
}

/**
 * `main` when it is the only ref git would advertise for this repository (other refs, packed or
 * loose, are under the hidden `refs/ccr/`), no ref is being updated, and no alternates bring
 * `.have` lines; else null. Read with blocking calls, as refs are (git/refs.ts): four small
 * folders and a few-line file on every push, where asynchronous calls are a dozen thread-pool
 * round trips.
 */
async function onlyMain(gitdir: string): Promise<Oid | null> {
  const missingAs = <T>(read: () => T, missing: T): T | null => {
    try {
      return read();
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? missing : null;
    }
  };
  const names = (dir: string) => missingAs(() => readdirSync(`${gitdir}/${dir}`), []);
  const top = names('refs');
  if (!top || top.some((n) => !['heads', 'tags', 'ccr'].includes(n))) return null;
  const heads = names('refs/heads');
  const tags = names('refs/tags');
  if (!heads || heads.some((n) => n !== 'main') || !tags || tags.length > 0) return null;
  const info = names('objects/info');
  if (!info || info.includes('alternates')) return null;
  const packed = missingAs(() => readFileSync(`${gitdir}/packed-refs`, 'latin1'), '');
  if (packed === null) return null;
  for (const line of packed.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const name = line.slice(41);
    if (name !== MAIN && !name.startsWith('refs/ccr/')) return null;
  }
  const main = await readRef(gitdir, MAIN);
  return main && isOid(main) ? main : null;
}
