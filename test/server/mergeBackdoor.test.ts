// Issue 11.1: a merge was a back door through every rule. A principal built, with the project's own
// buildSyncMerge, the deterministic merge of `main` and a commit made on an old clone, and pushed
// it: the side commit was judged only against its old parent, the merge only for being
// deterministic. Now a two-parent commit from anyone but a `site` principal is refused with
// ccr/commit-parents, whatever it holds; a site's true concurrent merge is still accepted.

import t, { type Test } from 'tap';
import { CoordinationService, type CoordinationStatusUpdate, type LedgerUpdate } from '../../index.js';
import { buildSyncMerge } from '../../core/mergeCommit.js';
import type { Oid } from '../../core/objects.js';
import { gitMergeBase } from '../../git/mergeBase.js';
import { IsoGitSource, writeObjects } from '../../git/store.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

interface Setup {
  s: TestServer;
  id: string;
  /** The thread under attack (jane, tom, john); a second thread keeps tom a participant of the record. */
  thread: string;
  who: { jane: Creds; tom: Creds; john: Creds; admin: Creds; site: Creds; integration: Creds };
}

async function setup(t: Test): Promise<Setup> {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const site = await s.principal({ name: 'peer', kind: 'site' });
  const who = {
    ...cast,
    admin: s.admin,
    site,
    integration: await s.principal({ name: 'engine', kind: 'integration' }),
  };
  const rec = await s.record({
    participants: [jane, tom, john],
    message: { author_id: jane.participant_id, body: 'Admitted.' },
  });
  await change(t, s, rec.id, who.jane, (svc) =>
    svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'Ward round notes.' }),
  );
  return { s, id: rec.id, thread: rec.thread!, who };
}

async function clone(t: Test, s: TestServer, id: string, creds: Creds): Promise<string> {
  const dir = `${tempDir(t)}/c`;
  await gitOk('/', ['clone', '-q', s.gitUrl(id, creds), dir]);
  return dir;
}

/** One operation on main, the ordinary way: clone, the service, push. */
async function change(
  t: Test,
  s: TestServer,
  id: string,
  creds: Creds,
  op: (svc: CoordinationService) => Promise<unknown>,
) {
  const dir = await clone(t, s, id, creds);
  await op(await CoordinationService.at(dir));
  const r = await gitRun(dir, ['push', '-q', 'origin', 'main']);
  if (r.status !== 0) throw new Error(r.stderr);
}

/** In a clone holding a commit made on an old base: the deterministic sync merge of it and the server's main, as main. */
async function mergeWithMain(dir: string): Promise<{ main: string; merge: string }> {
  await gitOk(dir, ['fetch', '-q', 'origin', '+main:refs/remotes/origin/main']);
  const main = (await gitOk(dir, ['rev-parse', 'origin/main'])).trim() as Oid;
  const side = (await gitOk(dir, ['rev-parse', 'main'])).trim() as Oid;
  const gitdir = `${dir}/.git`;
  const base = await gitMergeBase(gitdir, testGitEnv())(main, side);
  const merge = await buildSyncMerge(new IsoGitSource(gitdir), main, side, base);
  if (!merge.ok) throw new Error(merge.conflict);
  await writeObjects(gitdir, merge.value.objects);
  await gitOk(dir, ['update-ref', 'refs/heads/main', merge.value.oid]);
  return { main, merge: merge.value.oid };
}

const mainOf = async (s: TestServer, id: string) =>
  (await gitOk('/', ['ls-remote', s.gitUrl(id, s.admin), 'refs/heads/main'])).split('\t')[0];

type OnMain = (x: Setup, t: Test) => Promise<void>;
/** Jane changes the thread's ledger on main. */
const ledger =
  (update: Omit<LedgerUpdate, 'by'>): OnMain =>
  (x, t) =>
    change(t, x.s, x.id, x.who.jane, (svc) =>
      svc.updateThreadLedger(committer, place, x.thread, { by: as(jane), ...update }),
    );
/** The admin changes the record status on main. */
const status =
  (update: CoordinationStatusUpdate): OnMain =>
  (x, t) =>
    change(t, x.s, x.id, x.who.admin, (svc) => svc.updateCoordinationStatus(committer, place, update));
/** Jane writes on main. */
const message: OnMain = (x, t) =>
  change(t, x.s, x.id, x.who.jane, (svc) =>
    svc.addMessage(committer, place, x.thread, { author: as(jane), body: 'Chest X-ray reviewed: no change.' }),
  );

/** Each class of the issue: who attacks from an old clone, what happens on main meanwhile, whether the attacker backdates. */
const classes: Array<{ what: string; attacker: 'tom' | 'john'; onMain: OnMain; backdate?: boolean }> = [
  { what: 'a closed thread', attacker: 'tom', onMain: ledger({ status: 'closed' }) },
  { what: 'an archived thread', attacker: 'tom', onMain: ledger({ status: 'archived' }) },
  {
    what: 'a thread the author was removed from',
    attacker: 'tom',
    onMain: ledger({ removeParticipants: [tom.participant_id] }),
  },
  {
    what: 'a thread with allow_patient_participation: false',
    attacker: 'john',
    onMain: ledger({ policies: { allow_patient_participation: false } }),
  },
  { what: 'a record with record_modifiable: false', attacker: 'tom', onMain: status({ record_modifiable: false }) },
  { what: 'a record with lifecycle_state: closed', attacker: 'tom', onMain: status({ lifecycle_state: 'closed' }) },
  {
    what: 'a backdated block, sorted in before messages already on main',
    attacker: 'tom',
    onMain: message,
    backdate: true,
  },
];

for (const c of classes) {
  t.test(
    `a participant's deterministic merge that brings a message into ${c.what} is refused with ccr/commit-parents`,
    async (t) => {
      const x = await setup(t);
      const old = await clone(t, x.s, x.id, x.who[c.attacker]);
      await c.onMain(x, t);
      const author = c.attacker === 'tom' ? tom : john;
      // Backdated: dated just after the old base, so before what main holds since.
      const base = Date.parse((await (await CoordinationService.at(old)).readThread(x.thread)).ledger.last_updated_at);
      const clock = c.backdate ? () => base + 1 : undefined;
      const svc = await CoordinationService.at(old, clock);
      await svc.addMessage(committer, place, x.thread, { author: as(author), body: 'Written on an old clone.' });
      const { main, merge } = await mergeWithMain(old);
      if (c.backdate) {
        const merged = await gitOk(old, ['show', `${merge}:communications/${x.thread}/messages.md`]);
        const [ours, theirs] = [merged.indexOf('Written on an old clone.'), merged.indexOf('Chest X-ray reviewed')];
        t.ok(ours < theirs, 'the merge sorts the backdated block before the message already on main');
      }
      // What the attacker fetched is its view of main (SPEC 12: john does not see the second
      // thread); main itself is what the admin reads.
      const before = await mainOf(x.s, x.id);
      if (c.attacker === 'tom') t.equal(before, main, 'tom takes part in every thread: his view is main itself');
      const pushed = await gitRun(old, ['push', x.s.gitUrl(x.id, x.who[c.attacker]), 'main:main']);
      t.not(pushed.status, 0, 'refused');
      t.match(
        pushed.stderr,
        /remote: ccr\/commit-parents[ :][^\n]*merge commits reach main only through sync between sites/,
        'the remote: lines name the rule',
      );
      t.notMatch(
        pushed.stderr,
        /remote: ccr\/(?!commit-parents)/,
        'the side commit keeps every rule against its old parent: only the merge is refused',
      );
      t.equal(await mainOf(x.s, x.id), before, 'main is unchanged');
    },
  );
}

t.test('the same merge is refused from an admin and an integration principal too', async (t) => {
  const x = await setup(t);
  const old = await clone(t, x.s, x.id, x.who.integration);
  await classes[0]!.onMain(x, t);
  await (
    await CoordinationService.at(old)
  ).addMessage(committer, place, x.thread, { author: as(tom), body: 'Written on an old clone.' });
  const { main } = await mergeWithMain(old);
  for (const p of ['admin', 'integration'] as const) {
    const pushed = await gitRun(old, ['push', x.s.gitUrl(x.id, x.who[p]), 'main:main']);
    t.match(pushed.stderr, /remote: ccr\/commit-parents[ :]/, `refused from ${p}`);
  }
  t.equal(await mainOf(x.s, x.id), main, 'main is unchanged');
});

t.test(
  'a site pushing a true concurrent merge is accepted, and ccr verify says what it cannot know of merges',
  async (t) => {
    const x = await setup(t);
    const old = await clone(t, x.s, x.id, x.who.site);
    await change(t, x.s, x.id, x.who.jane, (svc) =>
      svc.addMessage(committer, place, x.thread, { author: as(jane), body: 'Written here.' }),
    );
    const svc = await CoordinationService.at(old);
    await svc.addMessage(committer, 'Site B', x.thread, {
      author: as(tom),
      body: 'Written at the other site meanwhile.',
    });
    const { merge } = await mergeWithMain(old);
    const pushed = await gitRun(old, ['push', x.s.gitUrl(x.id, x.who.site), 'main:main']);
    t.equal(pushed.status, 0, pushed.stderr);
    t.equal(await mainOf(x.s, x.id), merge, 'main is the merge');
    const verify = await ccr(['verify', x.s.server.context.records.path(x.id as never)]);
    t.equal(verify.status, 0, verify.stdout);
    t.match(
      verify.stdout,
      /not judged offline: who brought each of the 1 merge commit \(ccr\/commit-parents: only sync between sites may\)/,
    );
  },
);
