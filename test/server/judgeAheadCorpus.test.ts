// Judging ahead (server/prejudge.ts) against the whole hostile corpus: each case's commits sent as
// git push sends them (a thin pack with ofs-deltas) and judged from that pack before the record
// has them, then judged again the usual way once the record holds them. The two verdicts must be
// the same finding for finding; a judgement ahead may only say it is unsure (a merge, a pack past
// its size bound), never disagree. The server uses an accepting verdict ahead and judges everything else again, so this
// is what keeps a push the rules refuse from being let in ahead.

import t from 'tap';
import type { RecordId } from '../../core/ids.js';
import { gitEnv, runGit } from '../../git/run.js';
import { judgePush, type PushInput } from '../../server/validator.js';
import { bindings, cases, principalFor } from '../corpus/cases.js';
import { BASE_TIME, planCase } from '../corpus/memory.js';
import { commitMessage, recordSnapshot, threadSnapshot, uuidOf } from '../corpus/record.js';
import { importCommits } from '../helpers/fastImport.js';
import { gitOk } from '../helpers/git.js';
import { jane, john, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

t.test('every corpus case judged ahead from its pack gets the verdict the record gives, or is unsure', async (t) => {
  const dir = tempDir(t);
  const work = `${dir}/work`;
  await gitOk(dir, ['init', '-q', work]);
  const participants = new Map([jane, tom, john].map((p) => [p.participant_id, bindings(p.participant_id)]));
  const unsure: string[] = [];
  let refused = 0;
  for (const [i, c] of cases.entries()) {
    const id = uuidOf(c.name) as RecordId;
    const bare = `${dir}/${i}.git`;
    await gitOk(dir, ['init', '-q', '--bare', bare]);
    const record = recordSnapshot(id);
    const base = threadSnapshot(record);
    const [, baseSha] = await importCommits(`${work}/.git`, [
      { snapshot: record, parents: [], message: commitMessage.record, time: BASE_TIME / 1000 - 360 },
      { snapshot: base, parents: [':1'], message: commitMessage.thread, time: BASE_TIME / 1000 },
    ]);
    await gitOk(work, ['push', '-q', bare, `${baseSha}:refs/heads/main`]);
    const shas = await importCommits(
      `${work}/.git`,
      planCase(base, c).map((p) => ({
        snapshot: p.snapshot,
        message: p.message,
        time: Math.floor(p.time / 1000),
        parents: p.parents.map((x) => (x === 'base' ? baseSha! : `:${x + 1}`)),
      })),
    );
    const head = shas[shas.length - 1]!;
    const pack = await runGit(
      ['--git-dir', `${work}/.git`, 'pack-objects', '--stdout', '--revs', '--thin', '--delta-base-offset'],
      { input: `${head}\n^${baseSha}\n` },
    );
    const input: PushInput = {
      gitdir: bare,
      recordId: id,
      principal: principalFor(c.as),
      env: {},
      updates: [{ old: baseSha!, new: head, ref: 'refs/heads/main' }],
      now: Date.now(),
      gitEnv: gitEnv(),
      content: true,
      maxCommits: 10_000,
      bindings: participants,
    };
    const ahead = await judgePush({ ...input, pack: pack.stdout as Buffer });
    // Now the record holds the objects (on a ref of their own), as receive-pack's would before its hook.
    await gitOk(work, ['push', '-q', bare, `${head}:refs/heads/incoming`]);
    const usual = await judgePush(input);
    if (ahead.unsure !== undefined) unsure.push(`${c.name}: ${ahead.unsure}`);
    else t.same(ahead, usual, c.name);
    if (usual.findings.some((f) => f.severity === 'error')) refused++;
  }
  t.ok(refused > cases.length / 2, `most cases are refused (${refused} of ${cases.length}): the comparison has teeth`);
  t.ok(unsure.length <= 4, `few are unsure (${unsure.length}):\n${unsure.join('\n')}`);
  for (const u of unsure)
    t.match(u, /: (a merge commit|more than \d+ bytes inflated)$/, `unsure only of a merge or a size: ${u}`);
});
