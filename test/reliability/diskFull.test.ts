// A full disk: the data folder on a small tmpfs. Pushes and record creation are refused cleanly,
// nothing half-written stays, and the server works again once there is room. Mounting needs root
// (as on CI machines and here); where it is not allowed the test says so and does not run.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place } from '../helpers/people.js';
import { testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { remoteMain } from '../helpers/wire.js';

function mount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fill the file system at `dir`, keeping about `keep` bytes free; gives the filler's path. */
function fill(dir: string, keep: number): string {
  const filler = `${dir}/filler`;
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n')[1]);
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - keep)));
  return filler;
}

/** Whether this machine lets us mount a tmpfs (root, as on CI and here). */
function canMount(): boolean {
  const probe = mkdtempSync(`${tmpdir()}/ccr-mount-`);
  const ok = mount(probe, '1m');
  if (ok) execFileSync('umount', [probe]);
  rmSync(probe, { recursive: true });
  return ok;
}

t.test(
  'a full disk refuses pushes and record creation cleanly, and the server recovers',
  { skip: canMount() ? false : 'mounting a tmpfs is not allowed here (needs root)' },
  async (t) => {
    const mnt = `${tempDir(t)}/mnt`;
    mkdirSync(mnt);
    t.ok(mount(mnt, '24m'), 'a 24 MiB tmpfs is mounted');
    t.teardown(() => {
      try {
        execFileSync('umount', ['-l', mnt]);
      } catch {
        /* already gone */
      }
    });
    const s = await testServer(t, { data: `${mnt}/data` });
    const rec = await s.record({
      participants: [jane],
      message: { author_id: jane.participant_id, body: 'Before the disk filled up.' },
    });
    const work = tempDir(t);
    await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
    const before = await remoteMain(`${work}/c`);
    const svc = await CoordinationService.at(`${work}/c`);
    for (let i = 0; i < 6; i++)
      await svc.addMessage(committer, place, rec.thread!, {
        author: as(jane),
        body: `Scan ${i}:\n${randomBytes(45_000)
          .toString('base64')
          .replace(/(.{76})/g, '$1\n')}`,
      });
    const filler = fill(mnt, 64 * 1024);

    const pushed = await gitRun(`${work}/c`, ['push', 'origin', 'main']);
    t.not(pushed.status, 0, 'the push is refused');
    t.match(
      pushed.stderr,
      /No space left on device|unpack failed|unpacker error/i,
      `for want of space: ${pushed.stderr}`,
    );
    t.equal(await remoteMain(`${work}/c`), before, 'main did not move');
    const gitdir = s.server.context.records.path(rec.id as never);
    t.same(
      readdirSync(`${gitdir}/objects`).filter((n) => n.startsWith('tmp_objdir') || n.startsWith('incoming')),
      [],
      'no quarantine left behind',
    );
    t.equal((await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--strict'])).status, 0, 'the repository is sound');

    const created = await s.api('POST', '/api/records', s.admin, {
      clinical_id: clinicalId,
      care_location: place,
      thread: {
        participants: [jane],
        message: {
          author_id: jane.participant_id,
          body: randomBytes(30_000)
            .toString('base64')
            .replace(/(.{76})/g, '$1\n'),
        },
      },
    });
    t.equal(created.status, 507, 'record creation is refused: out of disk space');
    t.match(created.body, { error: { code: 'InsufficientStorage' } });
    const { records } = (await s.api('GET', '/api/records', s.admin)).body as { records: string[] };
    t.same(records, [rec.id], 'no half-made record');

    rmSync(filler);
    const again = await gitRun(`${work}/c`, ['push', 'origin', 'main']);
    t.equal(again.status, 0, `with room again the same push lands: ${again.stderr}`);
    t.equal(
      (await s.api('POST', '/api/records', s.admin, { clinical_id: clinicalId, care_location: place })).status,
      201,
      'and records can be created',
    );
    t.equal((await s.api('GET', '/healthz', null)).status, 200);
  },
);
