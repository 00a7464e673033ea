// Issue 11.3: a participant wrote under someone else's name. Bob, a participant principal bound
// to his own id as "Dr Bob Outsider", created a record whose thread listed his id as
// "Dr Jane Smith", and his messages then read `**Author:** Dr Jane Smith`. A ledger entry whose
// participant_id is bound to a participant principal carries that principal's role and display
// name, on every way in: the JSON API, a push, the service on the server (ccr/who-participant).

import t from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, clinicalId, committer, jane, participant, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

const bob = participant('b0b0b0b0-0000-4000-8000-000000000001', 'clinician', 'Dr Bob Outsider');
const bound = (p: typeof bob) => ({ participant_id: p.participant_id, role: p.role, display_name: p.display_name });
const stranger = participant('5a5a5a5a-0000-4000-8000-000000000002', 'patientassociate', 'Sam Carer');

t.test(
  'POST /api/records refuses a thread that lists a bound id under another name or role, and takes the bound one',
  async (t) => {
    const s = await testServer(t);
    await castPrincipals(s);
    const bobCreds = await s.principal({ name: 'bob', kind: 'participant', ...bound(bob) });
    const before = (await s.api('GET', '/api/records', s.admin)).body.records.length;
    const create = (who: typeof s.admin, participants: unknown[], author = bob.participant_id) =>
      s.api('POST', '/api/records', who, {
        clinical_id: clinicalId,
        care_location: place,
        thread: { participants, message: { author_id: author, body: 'Please review.' } },
      });

    const impersonation = await create(bobCreds, [{ ...bob, display_name: 'Dr Jane Smith' }, tom]);
    t.equal(impersonation.status, 422, 'refused');
    const expected =
      /ccr\/who-participant [^\n]*expected participant b0b0b0b0-[^\n]*bob is: clinician "Dr Bob Outsider", found clinician "Dr Jane Smith"/;
    t.match(impersonation.body, { error: { code: 'RuleViolation', message: expected } });
    const refusal = { error: { message: /ccr\/who-participant/ } };
    t.match(
      (await create(bobCreds, [{ ...bob, role: 'careadministrator' }, tom])).body,
      refusal,
      'another role is refused too',
    );
    t.match(
      (await create(s.admin, [jane, { ...tom, display_name: 'Dr Jane Smith' }], jane.participant_id)).body,
      refusal,
      'whoever asks: an admin too',
    );
    t.equal((await s.api('GET', '/api/records', s.admin)).body.records.length, before, 'no record was created');

    const good = await create(bobCreds, [bob, tom, stranger]);
    t.equal(
      good.status,
      201,
      `the bound name is accepted, and an id no principal holds takes any name: ${JSON.stringify(good.body)}`,
    );
  },
);

t.test(
  'a push that lists a bound id under another name is refused; the same under its bound name is accepted',
  async (t) => {
    const s = await testServer(t);
    const cast = await castPrincipals(s);
    const rec = await s.record({
      participants: [jane, tom],
      message: { author_id: jane.participant_id, body: 'Admitted.' },
    });
    const dir = `${tempDir(t)}/c`;
    await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, cast.tom), dir]);
    const main = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
    // The library cannot know the server's principals, so it writes what Tom asks for.
    const svc = await CoordinationService.at(dir);
    const asJane = { ...tom, display_name: 'Dr Jane Smith' };
    await svc.createThread(committer, place, [asJane, jane], {
      author: { id: tom.participant_id, name: 'Dr Jane Smith' },
      body: 'Signed as Jane.',
    });
    const refused = await gitRun(dir, ['push', 'origin', 'main']);
    t.not(refused.status, 0);
    t.match(
      refused.stderr,
      /remote: ccr\/who-participant communications\/[^ ]+\/ledger\.yaml: expected participant a1d3c5e7-[^\n]* as its participant principal tom is: /,
    );
    t.match(refused.stderr, /tom is: clinician "Dr Tom Patel", found clinician "Dr Jane Smith"/);

    await gitOk(dir, ['reset', '-q', '--hard', main]);
    await (
      await CoordinationService.at(dir)
    ).createThread(committer, place, [tom, jane], { author: as(tom), body: 'Signed as myself.' });
    const accepted = await gitRun(dir, ['push', 'origin', 'main']);
    t.equal(accepted.status, 0, accepted.stderr);
  },
);
