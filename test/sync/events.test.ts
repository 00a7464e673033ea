// The events feed at two sites that sync in the background (issue 16): whatever way a message
// reached a site (a push there, a peer's push, a round's fast-forward or merge), its feed holds
// every message of the record once, and only once.

import t from 'tap';
import { messageIds } from '../../core/events.js';
import { gitOk } from '../helpers/git.js';
import { send } from '../helpers/wire.js';
import { admin, append, createRecord, mainOf, pair, until, type Node } from '../helpers/backgroundSites.js';

/** Every event of a site's feed. */
async function feed(n: Node): Promise<any[]> {
  const out: any[] = [];
  for (let after = '0'; ;) {
    const r = await send(`http://127.0.0.1:${n.port}/api/events?after=${after}&limit=1000`, { auth: admin });
    const body = JSON.parse(r.body.toString()) as { events: any[]; next: string };
    out.push(...body.events);
    if (body.events.length < 1000) return out;
    after = body.next;
  }
}

/** The message ids of a thread on a site's main. */
async function messagesAt(n: Node, id: string, thread: string): Promise<string[]> {
  const gitdir = `${n.data}/coordination/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.git`;
  return messageIds(await gitOk(gitdir, ['--git-dir', gitdir, 'show', `main:communications/${thread}/messages.md`]));
}

t.test("each site's feed holds every message once, however it arrived", { timeout: 240_000 }, async (t) => {
  const [a, b] = await pair(t);
  const rec = await createRecord(a);
  await until('the record is at B', async () => (await mainOf(b, rec.id)) === (await mainOf(a, rec.id)));
  // Writes at both sites at once: rounds fast-forward or merge.
  await Promise.all([
    append(t, a, rec.id, rec.thread, ['At A, 1.', 'At A, 2.']),
    append(t, b, rec.id, rec.thread, ['At B, 1.']),
  ]);
  await append(t, b, rec.id, rec.thread, ['At B, 2.']);
  await until(
    'the sites agree',
    async () => {
      const [x, y] = [await mainOf(a, rec.id), await mainOf(b, rec.id)];
      return x !== null && x === y;
    },
    60_000,
  ).catch((e: Error) => {
    for (const n of [a, b])
      t.comment(
        `${n.name}: ${JSON.stringify(n.proc!.lines.filter((l) => String(l['event']).startsWith('sync-round')))}`,
      );
    throw e;
  });
  const expected = await messagesAt(a, rec.id, rec.thread);
  t.equal(expected.length, 4, 'four appended');
  for (const n of [a, b]) {
    let added: string[] = [];
    // A move that brings nothing new (a merge of what a site had) makes no event: wait for the messages.
    await until(
      `${n.name}'s feed holds every message`,
      async () => {
        added = (await feed(n)).filter((e) => e.record === rec.id && e.kind === 'message.added').map((e) => e.message);
        return expected.every((m) => added.includes(m));
      },
      60_000,
    ).catch(() => undefined);
    if (added.length !== expected.length)
      t.comment(
        JSON.stringify(
          n.proc!.lines.filter((l) => /^(events|sync-round)/.test(String(l['event'])) || l['level'] === 'error'),
        ),
      );
    t.same([...added].sort(), [...expected].sort(), `${n.name}: every message, each once`);
    t.equal(
      (await feed(n)).filter((e) => e.record === rec.id && e.kind === 'record.created').length,
      1,
      `${n.name}: one record.created`,
    );
  }
});
