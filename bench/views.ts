// Benchmark: participant views (SPEC 12), ratios measured in one run on one server. A record of
// 1,000 commits (a thread the patient takes part in and a clinicians' thread, written in turn):
// the patient's first clone of its view, built from nothing, against an admin's full clone
// (target ≤ 3×); a fetch of one new commit through the view against the same fetch of main
// (≤ 1.5×); a one-message push from the view, translated onto main, against the same push
// straight to main (≤ 1.5×). Usage: node dist/bench/views.js [commits] [samples]

import { CoordinationService } from '../index.js';
import type { Participant } from '../core/ledger.js';
import { apiRecord, author, benchServer, body, gitCli, jane, place, TOKEN } from './fixtures.js';
import { median, progress, report, scratch, time } from './util.js';

const commits = Number(process.argv[2] ?? 1000);
const n = Number(process.argv[3] ?? 15);
const dir = scratch('views');
// The 1,000 commits are pushed at once: a budget for that push on a busy machine.
const server = await benchServer(`${dir}/data`, { validatorThreads: 2, validationBudgetMs: 300_000 });
const john = {
  participant_id: '9b7c6d5e-4f3a-2b1c-0e8d-7f6a5b4c3d2e',
  role: 'patient',
  display_name: 'John Doe',
} as unknown as Participant;
const janeP = jane as unknown as Participant;
const principal = await fetch(`${server.url}/api/principals`, {
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
  },
  body: JSON.stringify({ name: 'john', kind: 'participant', ...john }),
}).then((r) => r.json() as Promise<{ token: string }>);

process.stderr.write('  preparing a record of two threads\n');
const rec = await apiRecord(server);
const asJohn = new URL(rec.url);
[asJohn.username, asJohn.password] = ['john', principal.token];
const adminDir = `${dir}/admin`;
await gitCli('/', ['clone', '-q', rec.url, adminDir]);
const svc = await CoordinationService.at(adminDir);
const by = (who: Participant) => ({ id: who.participant_id, name: who.display_name });
const say = (s: CoordinationService, thread: string, who: Participant, i: number) =>
  s.addMessage(author, place, thread, { author: by(who), body: `${body} (${i})` });
// The bench's record has one thread of Jane's: John joins it; a second thread stays Jane's alone.
await svc.updateThreadLedger(author, place, rec.thread, { by: by(janeP), addParticipants: [john] });
const hidden = await svc.createThread(author, place, [janeP], { author: by(janeP), body });
for (let i = 3; i < commits; i++) {
  await say(svc, i % 2 ? hidden : rec.thread, janeP, i);
  progress('commits', i + 1, commits);
}
await gitCli(adminDir, ['push', '-q', 'origin', 'main']);

const clones = { main: [] as number[], view: [] as number[] };
for (let i = 0; i < 5; i++) {
  clones.main.push(await time(() => gitCli('/', ['clone', '-q', '--bare', rec.url, `${dir}/full-${i}`])));
  await server.context.views.store.remove(rec.id as never);
  clones.view.push(await time(() => gitCli('/', ['clone', '-q', '--bare', asJohn.toString(), `${dir}/view-${i}`])));
}
report('first clone, main (admin)', median(clones.main));
const against = (xs: number[]) => ({ name: 'main', value: median(xs) });
report('first clone, view built from nothing (patient)', median(clones.view), 'ms', against(clones.main));

// Fetch of one new commit: an admin pushes into the shared thread; each reader fetches it.
const johnDir = `${dir}/john`;
const readerDir = `${dir}/reader`;
await gitCli('/', ['clone', '-q', asJohn.toString(), johnDir]);
await gitCli('/', ['clone', '-q', rec.url, readerDir]);
const fetches = { main: [] as number[], view: [] as number[] };
for (let i = 0; i < n + 2; i++) {
  await say(svc, rec.thread, janeP, commits + i);
  await gitCli(adminDir, ['push', '-q', 'origin', 'main']);
  // In turn, who fetches first: the first warms the record's caches for the second.
  const fetchMain = () => time(() => gitCli(readerDir, ['fetch', '-q']));
  const fetchView = () => time(() => gitCli(johnDir, ['fetch', '-q']));
  const [m, v] =
    i % 2
      ? [await fetchMain(), await fetchView()]
      : ([await fetchView(), await fetchMain()].reverse() as [number, number]);
  if (i >= 2) [fetches.main, fetches.view].forEach((xs, k) => xs.push(k ? v : m));
}
report('fetch of one new commit, main (admin)', median(fetches.main));
report('fetch of one new commit, view (patient)', median(fetches.view), 'ms', against(fetches.main));

// A one-message push: from the view (translated onto main), and straight to main, in turn.
const patient = await CoordinationService.at(johnDir);
await gitCli(johnDir, ['reset', '-q', '--hard', 'origin/main']);
const pushes = { main: [] as number[], view: [] as number[] };
for (let i = 0; i < n + 2; i++) {
  await gitCli(johnDir, ['pull', '-q', '--ff-only']);
  await say(patient, rec.thread, john, i);
  const v = await time(() => gitCli(johnDir, ['push', '-q', 'origin', 'main']));
  await gitCli(adminDir, ['pull', '-q', '--ff-only']);
  await say(svc, rec.thread, janeP, i);
  const m = await time(() => gitCli(adminDir, ['push', '-q', 'origin', 'main']));
  if (i >= 2) [pushes.view, pushes.main].forEach((xs, k) => xs.push(k ? m : v));
}
report('one-message push, main (admin)', median(pushes.main));
report('one-message push, view (patient, translated)', median(pushes.view), 'ms', against(pushes.main));
await server.close();
