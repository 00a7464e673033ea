// The spawn helper (server/gitSpawner.ts, server/spawnHelper.ts): git started by a small process
// of its own answers as a child of the server would: stdin to EOF, stdout, stderr, exit status,
// and a kill that ends it.

import t from 'tap';
import { spawnGit, startSpawnHelper, type GitProcess } from '../../server/gitSpawner.js';
import { gitEnv } from '../../git/run.js';

/**
 * Run to its close: stdout, stderr and the exit code. A timer holds this process meanwhile: the
 * helper's channel does not (a server's listener does), so the exit status can come after git's
 * output has ended.
 */
function finish(child: GitProcess, input?: string): Promise<{ out: string; err: string; code: number | null }> {
  const hold = setInterval(() => undefined, 1000);
  return new Promise<{ out: string; err: string; code: number | null }>((resolve) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code: number | null) => resolve({ out, err, code }));
    if (input !== undefined) child.stdin.end(input);
  }).finally(() => clearInterval(hold));
}

/** spawnGit once the helper listens (the first calls start git directly while it starts). */
async function viaHelper(args: string[]): Promise<GitProcess> {
  startSpawnHelper();
  for (let i = 0; i < 200; i++) {
    const child = await spawnGit(args, gitEnv());
    if (!('pid' in child)) return child;
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the spawn helper did not start');
}

t.test('git through the helper reads stdin to its end and answers with stdout and its exit status', async (t) => {
  const r = await finish(await viaHelper(['hash-object', '--stdin']), 'hello\n');
  t.equal(r.code, 0);
  t.equal(r.out, 'ce013625030ba8dba906f756967f9e9ca394464a\n');
});

t.test('git failing through the helper gives its exit status and stderr', async (t) => {
  const r = await finish(await viaHelper(['cat-file', '-t', '0000000000000000000000000000000000000001']), '');
  t.not(r.code, 0);
  t.match(r.err, /fatal/);
});

t.test('a run killed through the helper ends', async (t) => {
  const child = await viaHelper(['cat-file', '--batch']);
  const done = finish(child);
  child.kill('SIGTERM');
  const r = await done;
  t.equal(r.code, null);
  t.equal(child.signalCode, 'SIGTERM');
});
