// The pre-receive hook every record runs through core.hooksPath: a thin client of the validator.
// Its own module so that the server, `ccr sync` and `ccr doctor` agree on it without the commands
// importing the server (this file sits two levels below the project root once compiled, in
// dist/git/ or dist/bundle/).
//
// Two clients do the same: hooks/pre-receive.c, compiled by the build into dist/hooks/ (no shell
// to start: ~2 ms less a push), and the bash script hooks/pre-receive where no C compiler was. The
// one chosen is copied into <data>/hooks/ at each start, and that copy is what git runs: a rebuild
// or a removed dist/ under a running server can never leave a record without its hook (git skips a
// missing hook without a word, and would take every push unjudged).

import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bash client. */
export const SCRIPT_HOOK = join(ROOT, 'hooks', 'pre-receive');
/** Where scripts/hook.mjs compiles the C client (hooks/pre-receive.c), with the source's sha256 beside it. */
export const COMPILED_HOOK = join(ROOT, 'dist', 'hooks', 'pre-receive');

/** The folder a data folder's records take their hooks from (core.hooksPath). */
export const hooksDirOf = (data: string): string => join(data, 'hooks');

/** The sha256 of a file, or null when it cannot be read. */
function sha256Of(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/**
 * The client a server installs: the compiled one when the build made it from the source as it is
 * now (an old binary beside a newer source is never used), unless CCR_HOOK=script asks for the
 * bash script (a comparison, or a machine's choice).
 */
export function chosenHook(root = ROOT): { file: string; kind: 'compiled' | 'script' } {
  const compiled = join(root, 'dist', 'hooks', 'pre-receive');
  if (process.env['CCR_HOOK'] !== 'script') {
    const built = (() => {
      try {
        return readFileSync(`${compiled}.sha256`, 'utf8').trim();
      } catch {
        return null;
      }
    })();
    if (built !== null && built === sha256Of(join(root, 'hooks', 'pre-receive.c')))
      return { file: compiled, kind: 'compiled' };
  }
  return { file: join(root, 'hooks', 'pre-receive'), kind: 'script' };
}

/**
 * Copy the chosen client into <data>/hooks/pre-receive (a whole file, executable, put in place by a
 * rename) and give the folder, the records' core.hooksPath.
 */
export async function installHook(data: string): Promise<{ dir: string; kind: 'compiled' | 'script' }> {
  const { file, kind } = chosenHook();
  const dir = hooksDirOf(data);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const partial = join(dir, `.pre-receive.${process.pid}`);
  try {
    await fs.copyFile(file, partial);
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, join(dir, 'pre-receive'));
  } finally {
    await fs.rm(partial, { force: true });
  }
  return { dir, kind };
}
