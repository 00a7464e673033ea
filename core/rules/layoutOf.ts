// What each folder of a record holds (SPEC 3), as the tree rules read it: names and modes.

import { modes } from '../objects.js';
import { COMMUNICATIONS, FILE_MODE, FOLDER_MODE, LEDGER_FILE, MESSAGES_FILE, STATUS_FILE } from '../layout.js';
import type { FolderKind } from './define.js';

/** The names a root or thread folder holds, each with its mode (`communications` holds thread folders instead). */
export const expectedEntries: Record<Exclude<FolderKind, 'communications'>, Record<string, string>> = {
  root: { [STATUS_FILE]: FILE_MODE, [COMMUNICATIONS]: FOLDER_MODE },
  thread: { [LEDGER_FILE]: FILE_MODE, [MESSAGES_FILE]: FILE_MODE },
};

/** The files a folder must hold (the root: the status file; a thread: both its files). */
export const requiredFiles: Record<Exclude<FolderKind, 'communications'>, readonly string[]> = {
  root: [STATUS_FILE],
  thread: [LEDGER_FILE, MESSAGES_FILE],
};

/** What a mode is, for messages. */
export function describeMode(mode: string): string {
  const names: Record<string, string> = {
    [modes.executable]: 'an executable file',
    [modes.symlink]: 'a symbolic link',
    [modes.submodule]: 'a submodule',
    [modes.folder]: 'a folder',
    [modes.file]: 'a file',
  };
  return names[mode] ?? `mode ${mode}`;
}
