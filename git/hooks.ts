// The pre-receive hook every record runs through core.hooksPath: a thin client of the validator.
// Its own module so that the server, `ccr sync` and `ccr doctor` agree on it without the commands
// importing the server (this file sits two levels below the project root once compiled, in
// dist/git/ or dist/bundle/).
//
// Two clients do the same: hooks/pre-receive.c, compiled by the build into dist/hooks/ (no shell
// to start: ~2 ms less a push), and the bash script hooks/pre-receive where no C compiler was. The
// one chosen is copied into <data>/ccr-hooks/ at each start, and that copy is what git runs: a rebuild
// or a removed dist/ under a running server can never leave a record without its hook (git skips a
// missing hook without a word, and would take every push unjudged).

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A project's bash client, the C client's source, and where scripts/hook.mjs compiles it. */
const clientsOf = (root: string) => ({
  script: join(root, 'hooks', 'pre-receive'),
  source: join(root, 'hooks', 'pre-receive.c'),
  compiled: join(root, 'dist', 'hooks', 'pre-receive'),
});

/** The bash client. */
export const SCRIPT_HOOK = clientsOf(ROOT).script;
/** The compiled C client (its source's sha256 beside it, in `pre-receive.sha256`). */
export const COMPILED_HOOK = clientsOf(ROOT).compiled;

/** The folder a data folder's records take their hooks from (core.hooksPath). */
export const hooksDirOf = (data: string): string => join(data, 'ccr-hooks');

/** A file's bytes, or null when it cannot be read. */
function bytesOf(file: string): Buffer | null {
  try {
    return readFileSync(file);
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
  const clients = clientsOf(root);
  const source = bytesOf(clients.source);
  const built = bytesOf(`${clients.compiled}.sha256`)?.toString('utf8').trim();
  return process.env['CCR_HOOK'] !== 'script' &&
    source !== null &&
    built === createHash('sha256').update(source).digest('hex')
    ? { file: clients.compiled, kind: 'compiled' }
    : { file: clients.script, kind: 'script' };
}

/**
 * Copy the chosen client into <data>/ccr-hooks/pre-receive and give the folder, the records'
 * core.hooksPath; then run the copy as git will, so that a folder where it cannot run (a `noexec`
 * mount: git would skip the hook and take every push unjudged) stops the start instead.
 * The folder is the server's alone (a real folder, mode 700, holding nothing else git would run);
 * the file is written whole under a name of its own, never through a link, and renamed into place.
 */
export async function installHook(data: string): Promise<{ dir: string; kind: 'compiled' | 'script' }> {
  const { file, kind } = chosenHook();
  const dir = hooksDirOf(data);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fs.lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} must be a folder, not a link or a file`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new Error(`${dir} belongs to user ${st.uid}, not to the server's user ${process.getuid()}: chown it`);
  await fs.chmod(dir, 0o700);
  // Anything else here git could run as a hook is refused, never removed: it is not CCR's to delete.
  // A dot name is no hook's (another start's file being written).
  const other = (await fs.readdir(dir)).filter((name) => name !== 'pre-receive' && !name.startsWith('.'));
  if (other.length > 0)
    throw new Error(`${dir} holds ${other.join(', ')}, which git would run as hooks too: move them away`);
  const partial = join(dir, `.pre-receive.${randomBytes(8).toString('hex')}`);
  try {
    const handle = await fs.open(partial, 'wx', 0o700); // O_EXCL: never through a planted link
    try {
      await handle.writeFile(await fs.readFile(file));
      await handle.chmod(0o755);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(partial, join(dir, 'pre-receive'));
  } finally {
    await fs.rm(partial, { force: true });
  }
  const hook = join(dir, 'pre-receive');
  const problem = await hookProblem(hook);
  if (problem) throw new Error(`the pre-receive hook ${hook} ${problem}`);
  return { dir, kind };
}

/**
 * Run a hook as git would, outside any push: a CCR client refuses at once, saying it is served only
 * through its server. Null when it does; else what is wrong (it cannot run there: git would skip it).
 */
export async function hookProblem(hook: string): Promise<string | null> {
  const ran = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(hook, [], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, timeout: 10_000 }, (e, _out, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr: String(stderr) }),
    );
  });
  return ran.code === 1 && ran.stderr.includes('served by CCR only through its server')
    ? null
    : `does not run there (${ran.stderr.trim() || `exit ${ran.code}`}); git would skip it and take pushes unjudged`;
}
