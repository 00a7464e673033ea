// Tokens are kept as keyed hashes: HMAC-SHA-256 under a secret of the server (`<data>/token.key`,
// mode 0600). A token is 256 random bits, so nobody guesses it and a slow password hash buys
// nothing but a CPU queue for floods of bad credentials; a hash takes a microsecond and can be
// looked up. The key means a stolen principals.json alone cannot even check guesses of a weak
// token someone chose (CCR_ADMIN_TOKEN): that needs the key file too.

import { createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { syncDir } from '../git/fsutil.js';
import type { IdentityStore } from './identity.js';

/** How a stored keyed token hash begins (the algorithm, so that it can change one day). */
export const TOKEN_HASH_PREFIX = 'hmac-sha256:';

const KEY_BYTES = 32;

/** Keyed token hashes under one server's secret. */
export class TokenHasher {
  private constructor(readonly key: Buffer) {}

  /**
   * The hasher of the key file at `path`. A missing file is created (32 random bytes, base64,
   * mode 0600, durably) when `create` is true; two processes creating it at once agree on one.
   */
  static async open(path: string, create: boolean): Promise<TokenHasher> {
    const read = async () => {
      const key = Buffer.from((await fs.readFile(path, 'utf8')).trim(), 'base64');
      if (key.length !== KEY_BYTES)
        throw new Error(`${path} does not hold a ${KEY_BYTES}-byte key in base64; restore it from a backup`);
      return new TokenHasher(key);
    };
    try {
      return await read();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw e;
    }
    // Written whole to a temporary file, then linked to its name: it appears complete or not at all,
    // and a concurrent creator's link fails, so both read the one that won.
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fd = await fs.open(tmp, 'wx', 0o600);
      try {
        await fd.writeFile(randomBytes(KEY_BYTES).toString('base64') + '\n');
        await fd.sync();
      } finally {
        await fd.close();
      }
      await fs.link(tmp, path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      await syncDir(dirname(path));
    } finally {
      await fs.rm(tmp, { force: true });
    }
    return read();
  }

  /** The stored form of a token: `hmac-sha256:` and the base64 of its HMAC. */
  hash(token: string): string {
    return TOKEN_HASH_PREFIX + createHmac('sha256', this.key).update(token, 'utf8').digest('base64');
  }
}

/**
 * The token hasher of a data folder: its key file is created on first need, unless the store
 * holds keyed hashes already; then a missing key stops the start with what to do, because a new
 * key would lock every principal out without a word.
 */
export async function openHasher(keyPath: string, store: IdentityStore): Promise<TokenHasher> {
  const keyed = await store.hasKeyedTokens();
  return TokenHasher.open(keyPath, !keyed).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT'
      ? new Error(
          `${keyPath} is missing: the token hashes of the identity database cannot be checked without it; ` +
            'restore it from a backup (or remove the principals and create them again)',
        )
      : e;
  });
}
