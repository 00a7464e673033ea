import fc from 'fast-check';
import t from 'tap';
import { evaluateCommit } from '../../core/evaluate.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import type { Ledger } from '../../core/ledger.js';
import { mergeLedger, mergeMessages, mergeStatus } from '../../core/merge.js';
import { buildSyncMerge } from '../../core/mergeCommit.js';
import { checkMessagesText } from '../../core/messages/file.js';
import { appendMessages, parseMessages, renderMessages } from '../../core/messages/grammar.js';
import type { Oid } from '../../core/objects.js';
import type { Principal } from '../../core/principal.js';
import { initialStatus } from '../../core/status.js';
import { RECORD, baseRecord } from '../corpus/memory.js';
import { MESSAGES, append, baseLedger, first, msg, withLedger } from '../corpus/record.js';
import { admin, jane, john, tom } from '../helpers/people.js';

const at = (s: string) => s as Timestamp;
const m = (ts: string, body: string, id?: string) =>
  msg({ timestamp: at(ts), body, ...(id ? { id: id as MessageId } : {}) });

t.test('messages: the base, then every block of either side once, by (timestamp, id)', async (t) => {
  const base = renderMessages([first]);
  const x = m('2026-01-12T10:00:00.000Z', 'From A.', 'aaaaaaaa-0000-4000-8000-000000000000');
  const y = m('2026-01-12T09:00:00.000Z', 'From B.', 'bbbbbbbb-0000-4000-8000-000000000000');
  const z = m('2026-01-12T09:00:00.000Z', 'Also B, same time.', '0bbbbbbb-0000-4000-8000-000000000000');
  const a = appendMessages(base, [x]);
  const b = appendMessages(base, [y, z]);
  const merged = mergeMessages(base, a, b);
  t.ok(merged.ok);
  if (!merged.ok) return;
  t.same(
    parseMessages(merged.value).messages.map((q) => q.body),
    [
      'Patient has reported increasing shortness of breath.\nPlease review chest X-ray and advise on next steps.',
      'Also B, same time.',
      'From B.',
      'From A.',
    ],
  );
  t.ok(merged.value.startsWith(base), 'the merge base is a byte prefix');
  t.same(mergeMessages(base, b, a), merged, 'the same whichever side is which');
  t.same(checkMessagesText(merged.value).findings, [], 'the merged file keeps every format rule');
  t.same(mergeMessages(base, a, a), { ok: true, value: a }, 'a block both sides hold is kept once');
  // Issue 19.6 changed this (it was a conflict that stopped every later round): one id with other
  // bytes on the two sides keeps both blocks, ordered by (timestamp, id, bytes).
  const pair = mergeMessages(base, a, appendMessages(base, [{ ...x, body: 'Changed.' }]));
  t.same(
    pair,
    { ok: true, value: appendMessages(base, [{ ...x, body: 'Changed.' }, x]) },
    'both blocks of a pair are kept',
  );
  t.same(
    mergeMessages(base, appendMessages(base, [{ ...x, body: 'Changed.' }]), a),
    pair,
    'the same whichever side is which',
  );
  t.match(mergeMessages(base, a, renderMessages([])), { ok: false, conflict: /missing on one side/ });
  t.same(
    mergeMessages(null, renderMessages([x]), renderMessages([y])),
    { ok: true, value: renderMessages([y, x]) },
    'no base: a thread both sides created from nothing',
  );
});

t.test(
  'ledger: status the furthest along, participants by id, the most restrictive visibility and policies, the latest update',
  async (t) => {
    const base: Ledger = { ...baseLedger, participants: [jane, tom, john] };
    const a: Ledger = {
      ...base,
      status: 'closed',
      last_updated_at: at('2026-01-12T10:00:00.000Z'),
      participants: [jane, tom, john, admin],
      visibility: { sensitivity: 'confidential', restricted: false },
      policies: { allow_patient_participation: true, allow_external_organisations: false },
    };
    const b: Ledger = {
      ...base,
      last_updated_at: at('2026-01-12T11:00:00.000Z'),
      participants: [jane, john, { ...tom, display_name: 'Dr T. Patel' }].filter((p) => p !== john),
      visibility: { sensitivity: 'standard', restricted: true },
    };
    const merged = mergeLedger(base, a, b, '2026-01-12T12:00:00.000Z');
    t.equal(merged.status, 'closed');
    t.same(
      merged.participants.map((p) => p.display_name),
      ['Dr Jane Smith', 'Dr T. Patel', 'Sam Admin'],
      'john removed on one side is removed; tom changed on one side takes that change; admin added',
    );
    t.same(merged.visibility, { sensitivity: 'confidential', restricted: true });
    t.same(merged.policies, { allow_patient_participation: true, allow_external_organisations: false });
    t.equal(merged.last_updated_at, '2026-01-12T12:00:00.000Z', 'no earlier than the latest message');
    t.same(
      mergeLedger(base, b, a, null)
        .participants.map((p) => p.participant_id)
        .sort(),
      merged.participants.map((p) => p.participant_id).sort(),
    );
    t.equal(mergeLedger(base, { ...base, status: 'archived' }, { ...base, status: 'closed' }, null).status, 'archived');
  },
);

t.test("status: one side's change is taken; both changed, the more restrictive", async (t) => {
  const base = initialStatus(RECORD, RECORD);
  const flag = (over: Partial<typeof base.status>) => ({ ...base, status: { ...base.status, ...over } });
  t.same(mergeStatus(base, flag({ record_open: false }), base).status.record_open, false);
  t.same(
    mergeStatus(base, flag({ lifecycle_state: 'suspended' }), flag({ lifecycle_state: 'closed' })).status
      .lifecycle_state,
    'closed',
  );
  t.same(mergeStatus(base, flag({ lifecycle_state: 'suspended' }), base).status.lifecycle_state, 'suspended');
});

t.test('the merge commit is the same at both sites, and the evaluator accepts exactly it', async (t) => {
  const { source, head, snapshot } = baseRecord();
  const left = append(snapshot, m('2026-01-12T10:00:00.000Z', 'At site A.'));
  const right = withLedger(append(snapshot, m('2026-01-12T09:30:00.000Z', 'At site B.')), (l) => ({
    ...l,
    visibility: { ...l.visibility, restricted: true },
  }));
  const time = Date.UTC(2026, 0, 12, 11);
  const a = source.commit(
    left,
    [head],
    'coordination:update: Added message to thread\n\nCare-Location: Site A\n',
    time,
  );
  const b = source.commit(
    right,
    [head],
    'coordination:update: Added message to thread\n\nCare-Location: Site B\n',
    time + 1000,
  );
  const one = await buildSyncMerge(source, a, b, head);
  const two = await buildSyncMerge(source, b, a, head);
  t.ok(one.ok && two.ok);
  if (!one.ok || !two.ok) return;
  t.equal(one.value.oid, two.value.oid, 'the same commit id whichever site builds it');
  for (const [oid, o] of one.value.objects) source.objects.set(oid, o);
  const text = Buffer.from(one.value.commit).toString();
  t.match(text, `parent ${a < b ? a : b}\nparent ${a < b ? b : a}\n`, 'parents ordered by commit id');
  t.match(text, `author CCR Sync <sync@ccr.invalid> ${Math.floor(time / 1000) + 1} +0000`, "the later parent's time");
  t.match(text, '\n\ncoordination:update: Merged concurrent updates\n\nCare-Location: Site ');
  t.same(
    await evaluateCommit(source, one.value.oid, { recordId: RECORD, mergeBase: source.mergeBase }),
    [],
    'accepted as the deterministic merge',
  );
  const readFile = async (commit: Oid, path: string) => {
    const { parseCommit, parseTree } = await import('../../core/objects.js');
    let tree = parseCommit((await source.read(commit))!.content)!.tree;
    const parts = path.split('/');
    for (const [i, part] of parts.entries()) {
      const e = parseTree((await source.read(tree))!.content)!.find((x) => x.name === part)!;
      if (i === parts.length - 1) return Buffer.from((await source.read(e.oid))!.content).toString();
      tree = e.oid;
    }
    return '';
  };
  const merged = await readFile(one.value.oid, MESSAGES);
  t.same(
    parseMessages(merged)
      .messages.map((x) => x.body)
      .slice(-2),
    ['At site B.', 'At site A.'],
  );
  const ledger = await readFile(one.value.oid, MESSAGES.replace('messages.md', 'ledger.yaml'));
  t.match(ledger, 'restricted: true');

  const forged = source.commit(
    left,
    [a < b ? a : b, a < b ? b : a],
    'coordination:update: Merged concurrent updates\n\nCare-Location: Site A\n',
    time + 1000,
  );
  t.match(
    await evaluateCommit(source, forged, { recordId: RECORD, mergeBase: source.mergeBase }),
    [{ rule: 'ccr/merge', message: /files differ/ }],
    'a merge that drops a side is refused',
  );
  t.match(
    await evaluateCommit(source, one.value.oid, { recordId: RECORD }),
    [{ rule: 'ccr/commit-parents' }],
    'where merge bases cannot be found, merges are refused',
  );
});

t.test('concurrent appends merge to one valid file holding every block once, whatever the order', async (t) => {
  const stamp = fc
    .integer({ min: Date.UTC(2026, 0, 12), max: Date.UTC(2026, 0, 13) })
    .map((n) => new Date(n).toISOString());
  const side = fc.array(stamp, { maxLength: 5 });
  fc.assert(
    fc.property(side, side, (xs, ys) => {
      const base = renderMessages([first]);
      const a = appendMessages(
        base,
        xs.map((ts, i) => m(ts, `A${i}`)),
      );
      const b = appendMessages(
        base,
        ys.map((ts, i) => m(ts, `B${i}`)),
      );
      const one = mergeMessages(base, a, b);
      const two = mergeMessages(base, b, a);
      if (!one.ok || !two.ok || one.value !== two.value) return false;
      const bodies = parseMessages(one.value).messages.map((x) => x.body);
      const stamps = parseMessages(one.value)
        .messages.slice(1)
        .map((x) => x.timestamp);
      return (
        bodies.length === 1 + xs.length + ys.length &&
        new Set(bodies).size === bodies.length &&
        stamps.every((s, i) => i === 0 || stamps[i - 1]! <= s) &&
        checkMessagesText(one.value).findings.length === 0
      );
    }),
    { numRuns: 300 },
  );
  t.pass();
});

t.test(
  'a thread keeps its last participants: removals that together would leave none keep those either side still lists',
  async (t) => {
    const base: Ledger = { ...baseLedger, participants: [jane, tom] };
    const merged = mergeLedger(base, { ...base, participants: [jane] }, { ...base, participants: [tom] }, null);
    t.same(merged.participants, [jane, tom]);
    const only = (...participants: Ledger['participants']): Ledger => ({ ...base, participants });
    t.same(
      mergeLedger(base, only(tom), only(jane), null).participants,
      [jane, tom],
      'the same whichever side is which',
    );
    const three = mergeLedger(only(jane, tom, john), only(jane, tom), only(john), null);
    t.same(
      three.participants.map((p) => p.display_name).sort(),
      ['Dr Jane Smith', 'Dr Tom Patel', 'John Doe'],
      'every participant either side still lists',
    );
    t.same(
      mergeLedger(base, { ...base, participants: [jane] }, base, null).participants,
      [jane],
      'one removal alone still wins',
    );
  },
);

t.test(
  'the files a merge computes keep the file rules: a merged ledger that breaks one is not merged, and the rule refuses the merge',
  async (t) => {
    const { source, head, snapshot } = baseRecord();
    const time = Date.UTC(2026, 0, 12, 11);
    // Sides whose ledgers name another thread (each refused on its own; here only the merge is judged).
    const elsewhere = '20260111T143522.045Z-00000000-0000-4000-8000-000000000000' as never;
    const side = (ts: string, body: string) =>
      withLedger(append(snapshot, m(ts, body)), (l) => ({ ...l, thread_id: elsewhere }));
    const added = (place: string) => `coordination:update: Added message to thread\n\nCare-Location: ${place}\n`;
    const a = source.commit(side('2026-01-12T10:00:00.000Z', 'At site A.'), [head], added('Site A'), time);
    const b = source.commit(side('2026-01-12T09:30:00.000Z', 'At site B.'), [head], added('Site B'), time);
    const built = await buildSyncMerge(source, a, b, head);
    t.match(built, {
      ok: false,
      conflict: /the merged ledger breaks ccr\/ledger-identity/,
      findings: [{ rule: 'ccr/ledger-identity', path: /ledger\.yaml$/ }],
    });
    const merged = 'coordination:update: Merged concurrent updates\n\nCare-Location: Site A\n';
    const forged = source.commit(
      append(snapshot, m('2026-01-12T09:30:00.000Z', 'At site B.')),
      [a < b ? a : b, a < b ? b : a],
      merged,
      time,
    );
    const judged = (principal: Principal) =>
      evaluateCommit(source, forged, { recordId: RECORD, mergeBase: source.mergeBase, principal });
    t.match(
      await judged({ kind: 'site', name: 'peer' }),
      [{ rule: 'ccr/ledger-identity' }],
      'judging the merge names the rule',
    );
    t.match(
      await judged({ kind: 'integration', name: 'engine' }),
      [{ rule: 'ccr/commit-parents' }],
      'from anyone but a site, any merge is refused',
    );
  },
);
