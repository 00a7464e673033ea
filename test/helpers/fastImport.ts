// Writing snapshots as real git commits with `git fast-import`: any mode (symlink, executable,
// submodule), any message, time or parents, exactly as a hostile client could.

import type { Snapshot } from './snapshot.js';
import { gitOk } from './git.js';

/** One commit to write: a whole snapshot on top of its parents. */
export interface ImportCommit {
  snapshot: Snapshot;
  parents: string[];
  message: string;
  /** Seconds since the epoch. */
  time: number;
}

function data(content: Uint8Array | string): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  return Buffer.concat([Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')]);
}

/** Write commits into the repository with git directory `gitdir` (on a scratch ref); gives their ids in order. */
export async function importCommits(gitdir: string, commits: ImportCommit[]): Promise<string[]> {
  const parts: Buffer[] = [];
  commits.forEach((c, i) => {
    const ident = `CCR Test <test@ccr.invalid> ${c.time} +0000`;
    parts.push(
      Buffer.from(`commit refs/ccr/import\nmark :${i + 1}\nauthor ${ident}\ncommitter ${ident}\n`),
      data(c.message),
    );
    const [first, ...merges] = c.parents;
    if (first) parts.push(Buffer.from(`from ${first}\n`));
    for (const m of merges) parts.push(Buffer.from(`merge ${m}\n`));
    parts.push(Buffer.from('deleteall\n'));
    for (const [path, e] of c.snapshot.files) {
      if (e.mode === '160000') parts.push(Buffer.from(`M 160000 ${Buffer.from(e.content).toString()} ${path}\n`));
      else parts.push(Buffer.from(`M ${e.mode} inline ${path}\n`), data(e.content));
    }
    parts.push(Buffer.from('\n'));
  });
  const marks = `${gitdir}/ccr-import-marks`;
  await gitOk(gitdir, ['--git-dir', gitdir, 'fast-import', '--quiet', '--force', '--done', `--export-marks=${marks}`], {
    input: Buffer.concat([...parts, Buffer.from('done\n')]),
  });
  const { readFileSync } = await import('node:fs');
  const byMark = new Map(
    readFileSync(marks, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
  return commits.map((_, i) => byMark.get(`:${i + 1}`)!);
}
