// API writes racing each other and git pushes on one record (issue 16): every acknowledged
// message lands on `main` exactly once, the repository stays sound, and a participant's view
// clone holds what it posted through the API.

import t from 'tap';
import { CoordinationService } from '../../service/CoordinationService.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

t.test('API posts racing each other and a push all land once', async (t) => {
  const s = await testServer(t, { validatorThreads: 2 });
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Start.' },
  });
  const path = `/api/records/${rec.id}/threads/${rec.thread}/messages`;
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const svc = await CoordinationService.at(`${work}/c`);
  await svc.addMessage(committer, place, rec.thread!, { author: as(tom), body: 'Pushed while the API writes.' });
  const who = [cast.jane, cast.tom, cast.john];
  const posts = Array.from({ length: 9 }, (_, i) => s.api('POST', path, who[i % 3]!, { body: `API message ${i}.` }));
  const pushed = gitOk(`${work}/c`, ['push', '-q', 'origin', 'main']).then(
    () => 'pushed',
    (e: Error) => e.message,
  );
  const answers = await Promise.all(posts);
  const push = await pushed;
  for (const a of answers) t.equal(a.status, 201, JSON.stringify(a.body));
  const thread = (await s.api('GET', `/api/records/${rec.id}/threads/${rec.thread}`, s.admin)).body;
  const bodies: string[] = thread.messages.map((m: { body: string }) => m.body);
  for (let i = 0; i < 9; i++)
    t.equal(bodies.filter((b) => b === `API message ${i}.`).length, 1, `API message ${i} once`);
  // The push raced API writes: it lands, or is refused as not a fast-forward and nothing of it is there.
  const landed = bodies.filter((b) => b === 'Pushed while the API writes.').length;
  t.equal(
    landed,
    push === 'pushed' ? 1 : 0,
    `the push (${push === 'pushed' ? 'accepted' : 'refused'}) is there exactly as acknowledged`,
  );
  const ids = thread.messages.map((m: { message_id: string }) => m.message_id);
  t.equal(new Set(ids).size, ids.length, 'every message id once');
  const fsck = await gitOk(s.data, ['--git-dir', s.server.context.records.path(rec.id as never), 'fsck', '--strict']);
  t.equal(fsck.trim(), '', 'git fsck is clean');

  // John's view clone holds its API message (the view is derived from main).
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, cast.john), 'john']);
  const file = await gitOk(`${work}/john`, ['show', `HEAD:communications/${rec.thread}/messages.md`]);
  t.match(file, 'API message 2.', 'its own message');
  t.match(file, 'API message 0.', 'and the others of its thread');
});
