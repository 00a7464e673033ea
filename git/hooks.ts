// Where the project's git hooks are: the thin pre-receive client every record runs through
// core.hooksPath. Its own module so that the server, `ccr sync` and `ccr doctor` name one folder
// without the commands importing the server (this file sits at the depth server/startup.ts did:
// two levels below the project root once compiled, in dist/git/ or dist/bundle/).
//
// Two clients do the same: hooks/pre-receive.c compiled by the build into dist/hooks/ (no shell
// to start: ~2 ms less a push), and the bash script hooks/pre-receive where no C compiler was.

import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bash client's folder. */
export const SCRIPT_HOOKS_DIR = join(root, 'hooks');
/** The compiled client's folder (scripts/hook.mjs). */
export const COMPILED_HOOKS_DIR = join(root, 'dist', 'hooks');

function compiledHookBuilt(): boolean {
  try {
    accessSync(join(COMPILED_HOOKS_DIR, 'pre-receive'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The project's hooks folder (core.hooksPath of every record): the compiled client when the build
 * made one, unless CCR_HOOK=script asks for the bash script (a comparison, or a machine's choice).
 */
export const HOOKS_DIR =
  process.env['CCR_HOOK'] !== 'script' && compiledHookBuilt() ? COMPILED_HOOKS_DIR : SCRIPT_HOOKS_DIR;
