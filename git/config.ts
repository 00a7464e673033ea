// The git configuration the server owns (GIT_CONFIG_GLOBAL, with the system file ignored): hooks
// through core.hooksPath, fsck of everything received, no deletes or forced updates, committed
// objects and refs fsynced, a maximum pack size, pushes kept as the packs they came in (never
// exploded into loose objects: a full copy of every file version). The user's ~/.gitconfig is never read.

import { writeFileDurable } from './fsutil.js';
import { gitEnv } from './run.js';

/** Settings that shape the generated configuration. */
export interface GitConfigOptions {
  hooksPath: string;
  maxInputBytes: number;
}

/** A value quoted for a git config file (a path may hold `#`, `;` or spaces). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The text of the server's git configuration. */
export function renderGitConfig(o: GitConfigOptions): string {
  return [
    '# Written by the CCR server at start-up; edits are overwritten.',
    '[core]',
    `\thooksPath = ${quote(o.hooksPath)}`,
    '\tfsync = committed',
    '\tfsyncMethod = fsync',
    '\tlogAllRefUpdates = false',
    '[receive]',
    '\tfsckObjects = true',
    '\tdenyDeletes = true',
    '\tdenyNonFastForwards = true',
    '\tdenyCurrentBranch = refuse',
    `\tmaxInputSize = ${o.maxInputBytes}`,
    '\tadvertisePushOptions = false',
    // server/maintenance.ts looks at the storage after every write, pushes included, a little later.
    '\tautogc = false',
    '\tunpackLimit = 1',
    '\thideRefs = refs/ccr',
    '[transfer]',
    '\tfsckObjects = true',
    '[fetch]',
    '\tfsckObjects = true',
    '[protocol]',
    '\tversion = 2',
    '[uploadpack]',
    '\tallowFilter = true',
    '\thideRefs = refs/ccr',
    '[gc]',
    // No automatic gc from any git the server runs (a sync's fetch would fold every pack into one
    // past gc.autoPackLimit, in proportion to the record's history): server/maintenance.ts rolls
    // up what arrived after writes, and runs the full gc once a day.
    '\tauto = 0',
    // The daily gc leaves the few refs of a record loose: pack-refs would hold main.lock, which a
    // push landing at that moment needs for its compare-and-swap.
    '\tpackRefs = false',
    '',
  ].join('\n');
}

/** Write the configuration file and give the environment every git child of the server runs with. */
export async function installGitConfig(path: string, o: GitConfigOptions): Promise<NodeJS.ProcessEnv> {
  await writeFileDurable(path, renderGitConfig(o));
  return gitEnv(path);
}
