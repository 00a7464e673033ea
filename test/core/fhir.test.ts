// The FHIR R4 projection (SPEC 11). Every bundle made here goes through the `fhir` package's
// validator, then through our own checks for what that validator does not look at: id syntax,
// empty values, elements CCR never sets, references that resolve inside the bundle, corrections.

/// <reference types="fhir" />
import fc from 'fast-check';
import { Fhir, type ValidatorResponse } from 'fhir';
import t from 'tap';
import * as fhir from '../../core/fhir.js';
import {
  fhirSystems,
  recordToBundle,
  threadToBundle,
  toTransactionBundle,
  type CommunicationBundle,
  type FhirThreadInput,
} from '../../core/fhir.js';
import { formatThreadId, formatTimestamp, type MessageId, type ParticipantId, type Uuid } from '../../core/ids.js';
import type { Ledger, Participant } from '../../core/ledger.js';
import type { Message } from '../../core/messages/grammar.js';
import { roles, sensitivities, threadStatuses, type Role } from '../../core/vocabulary.js';
import { fixtureText } from '../helpers/fixtures.js';

const runs = Number(process.env['CCR_FUZZ_RUNS'] ?? 200);
const recordId = '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88';
const clinicalId = 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12';

/** The thread of a pair of fixtures (`spec` or `seed`). */
function fixtureThread(name: string): FhirThreadInput {
  const ledger = JSON.parse(fixtureText(`${name}-ledger.json`)) as Ledger;
  return { id: ledger.thread_id, ledger, messages: JSON.parse(fixtureText(`${name}-messages.json`)) as Message[] };
}

// One validator for the file: building it parses the whole R4 profile set.
const validator = new Fhir();

/** The validator's verdict; unknown properties count as errors, not warnings. */
function validate(resource: object): ValidatorResponse {
  return validator.validate(resource, { errorOnUnexpected: true });
}

/**
 * Warnings the validator gives on a correct bundle: CCR's message-type codes are not in the
 * example value set of Communication.category, and the validator does not ship the
 * v3-ParticipationMode value set, so ONLINEWRIT looks unknown to it. Anything else is a problem.
 */
const expectedWarning = (m: { location?: string; message?: string }) =>
  /^Communication\.(category|medium)\[0\]$/.test(m.location ?? '') && /not found in value set$/.test(m.message ?? '');

/** Every (path, value) pair of a JSON value, depth first. */
function* walk(value: unknown, path = '$'): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${path}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* walk(v, `${path}.${k}`);
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
// The R4 dateTime pattern, anchored: the validator's copy is not, so any text holding a year passes.
const FHIR_DATE_TIME =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;

/** What is wrong with a bundle, for the validator and for FHIR rules it does not check. */
function problems(bundle: CommunicationBundle): string[] {
  const out: string[] = [];
  const verdict = validate(bundle);
  if (!verdict.valid) out.push(`validator: ${JSON.stringify(verdict.messages)}`);
  for (const m of verdict.messages) {
    if (m.severity === 'warning' && !expectedWarning(m)) out.push(`validator warning: ${JSON.stringify(m)}`);
  }
  for (const [path, v] of walk(bundle)) {
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (
      v === '' ||
      (Array.isArray(v) && v.length === 0) ||
      (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)
    )
      out.push(`empty value at ${path}`);
    if (key === 'id' && !(typeof v === 'string' && FHIR_ID.test(v)))
      out.push(`invalid id at ${path}: ${JSON.stringify(v)}`);
    if (key === 'sent' && !(typeof v === 'string' && FHIR_DATE_TIME.test(v)))
      out.push(`invalid dateTime at ${path}: ${JSON.stringify(v)}`);
    if (key === 'received' || key === 'priority') out.push(`${key} is set at ${path}`);
  }
  const fullUrls = (bundle.entry ?? []).map((e) => e.fullUrl);
  if (new Set(fullUrls).size !== fullUrls.length) out.push('fullUrls repeat');
  for (const [path, v] of walk(bundle)) {
    if (path.endsWith('.reference') && !fullUrls.includes(v as string))
      out.push(`reference at ${path} resolves to no entry: ${String(v)}`);
  }
  for (const e of bundle.entry ?? []) out.push(...correctionProblems(e.resource));
  return out;
}

/** A correction answers the corrected message and carries the `corrects` extension to it. */
function correctionProblems(c: fhir4.Communication | undefined): string[] {
  if (c?.category?.[0]?.coding?.[0]?.code !== 'correction') return [];
  const answered = c.inResponseTo?.[0]?.reference;
  const extension = c.extension?.find((x) => x.url === fhirSystems.corrects)?.valueReference?.reference;
  return answered !== undefined && answered === extension
    ? []
    : [`correction ${c.identifier?.[0]?.value} lacks inResponseTo or the corrects extension`];
}

/** What is wrong with the transaction form of a collection: the common problems, then its requests. */
function transactionProblems(collection: CommunicationBundle): string[] {
  const tx = toTransactionBundle(collection);
  const out = problems(tx);
  if (tx.type !== 'transaction') out.push(`type ${tx.type}`);
  if ((tx.entry ?? []).length !== (collection.entry ?? []).length) out.push('entries lost');
  for (const e of tx.entry ?? []) {
    const own = e.resource?.identifier?.[0];
    const want = { method: 'POST', url: 'Communication', ifNoneExist: `identifier=${own?.system}|${own?.value}` };
    if (JSON.stringify(e.request) !== JSON.stringify(want))
      out.push(`request ${JSON.stringify(e.request)}, expected ${JSON.stringify(want)}`);
    if (e.resource?.id !== undefined) out.push(`resource ${e.resource.id} keeps its id on a POST`);
  }
  return out;
}

/** Every Communication of a bundle. */
const resources = (b: CommunicationBundle): fhir4.Communication[] =>
  (b.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));

// Generated threads: any status, sensitivity, roles, system messages and corrections.

const uuid = fc.uuid({ version: 4 }).map((u) => u as Uuid);
const name = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 })
  .map((s) => s.replace(/[`\s]+/g, ' ').trim() || 'A');
const body = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).map((s) => s.trim() || 'x');
const step = fc.record({
  author: fc.nat(),
  kind: fc.constantFrom('role', 'role', 'system', 'correction'),
  target: fc.nat(),
  gap: fc.nat(1e8),
  body,
});
const plan = fc.record({
  created: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
  // The thread's UUID first, then one per message: unique, so no two entries share a fullUrl.
  ids: fc.uniqueArray(uuid, { minLength: 1, maxLength: 9 }),
  steps: fc.array(step, { minLength: 8, maxLength: 8 }),
  participants: fc.uniqueArray(
    fc.record({
      participant_id: uuid.map((u) => u as ParticipantId),
      role: fc.constantFrom(...roles),
      display_name: name,
    }),
    { minLength: 1, maxLength: 6, selector: (p) => p.participant_id },
  ),
  status: fc.constantFrom(...threadStatuses),
  sensitivity: fc.constantFrom(...sensitivities),
});
type Plan = typeof plan extends fc.Arbitrary<infer P> ? P : never;

/** One generated plan, for tests that need a thread but no property. */
const samplePlan = (): Plan => fc.sample(plan, { numRuns: 1, seed: 42 })[0]!;

/** A UUID moved into a thread's own range, so threads of one record never share an id. */
const tag = (id: string, index: number) => index.toString(16).padStart(8, '0') + id.slice(8);

/** The thread of a plan: messages by its participants, corrections of their own earlier messages. */
function generatedThread(p: Plan, index: number): FhirThreadInput {
  const [threadUuid, ...messageIds] = p.ids.map((id) => tag(id, index));
  const messages: Message[] = [];
  let time = p.created;
  for (const [i, id] of messageIds.entries()) {
    const s = p.steps[i]!;
    const author = p.participants[s.author % p.participants.length]!;
    const own = messages.filter((m) => m.authorId === author.participant_id && m.type !== 'system');
    const target = own[s.target % Math.max(own.length, 1)];
    time += s.gap;
    const type = s.kind === 'correction' && target ? 'correction' : s.kind === 'system' ? 'system' : author.role;
    messages.push({
      id: id as MessageId,
      type,
      timestamp: formatTimestamp(time),
      authorId: author.participant_id,
      author: author.display_name,
      ...(type === 'correction' && target ? { corrects: target.id } : {}),
      body: s.body,
    });
  }
  const threadId = formatThreadId(p.created, threadUuid as Uuid);
  const ledger: Ledger = {
    thread_id: threadId,
    status: p.status,
    created_at: formatTimestamp(p.created),
    last_updated_at: formatTimestamp(time),
    participants: p.participants as Participant[],
    visibility: { sensitivity: p.sensitivity, restricted: p.sensitivity === 'restricted' },
    policies: { allow_patient_participation: true, allow_external_organisations: true },
  };
  return { id: threadId, ledger, messages };
}

t.test('the fhir module exports its API', async (t) => {
  t.same(Object.keys(fhir).sort(), ['fhirSystems', 'recordToBundle', 'threadToBundle', 'toTransactionBundle']);
});

t.test('the SPEC example projects to a header and two messages that pass the validator', async (t) => {
  const bundle = threadToBundle({ recordId, clinicalId, thread: fixtureThread('spec') });
  t.same(problems(bundle), []);
  t.same(transactionProblems(bundle), []);
  t.equal(bundle.type, 'collection');
  const [header, first, correction] = resources(bundle);
  t.equal(resources(bundle).length, 3);
  t.equal(header?.id, '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000');
  t.equal(header?.id?.length, 57, 'a thread id is 57 characters, within the 64 of a FHIR id');
  t.equal(header?.status, 'in-progress');
  t.notOk(header?.payload, 'the header has no payload');
  t.same(header?.meta?.security, [
    { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N', display: 'normal' },
  ]);
  t.same(header?.recipient, [
    {
      type: 'Practitioner',
      identifier: { system: fhirSystems.participantId, value: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' },
      display: 'Dr Jane Smith',
    },
  ]);
  t.same(
    header?.identifier?.map((i) => i.value),
    ['urn:uuid:550e8400-e29b-41d4-a716-446655440000', '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000'],
  );
  t.same(header?.subject, { type: 'Patient', identifier: { system: fhirSystems.clinicalId, value: clinicalId } });
  t.equal(first?.id, '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92');
  t.same(first?.partOf, [{ reference: 'urn:uuid:550e8400-e29b-41d4-a716-446655440000', type: 'Communication' }]);
  t.equal(first?.sent, '2026-01-11T14:36:15.234Z');
  t.equal(
    first?.payload?.[0]?.contentString,
    'Patient has reported increasing shortness of breath.\nPlease review chest X-ray and advise on next steps.',
  );
  t.same(first?.medium, [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode',
          code: 'ONLINEWRIT',
          display: 'online written',
        },
      ],
    },
  ]);
  t.equal(first?.status, 'completed');
  t.same(first?.category, [{ coding: [{ system: fhirSystems.messageType, code: 'clinician' }] }]);
  t.equal(first?.sender?.display, 'Dr Jane Smith');
  t.notOk(first?.recipient, 'a thread with one participant has no other recipient, so no empty array');
  t.notOk(first?.inResponseTo);
  const target = { reference: 'urn:uuid:3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92', type: 'Communication' };
  t.same(correction?.inResponseTo, [target]);
  t.same(correction?.extension, [{ url: fhirSystems.corrects, valueReference: target }]);
  t.same(correction?.category?.[0]?.coding?.[0]?.code, 'correction');
});

t.test('the seed example sends each message to the other participants, with their resource types', async (t) => {
  const bundle = threadToBundle({ recordId, thread: fixtureThread('seed') });
  t.same(problems(bundle), []);
  t.same(transactionProblems(bundle), []);
  const [header, fromJane] = resources(bundle);
  t.same(
    header?.recipient?.map((r) => `${r.type} ${r.display}`),
    ['Practitioner Dr Jane Smith', 'Practitioner Dr Tom Patel', 'Patient John Doe'],
  );
  t.same(
    fromJane?.recipient?.map((r) => r.display),
    ['Dr Tom Patel', 'John Doe'],
  );
  t.notOk(header?.subject, 'no clinical id, no subject');
});

t.test('the thread status and sensitivity map to the header status and the confidentiality code', async (t) => {
  const spec = fixtureThread('spec');
  const header = (status: Ledger['status'], sensitivity: Ledger['visibility']['sensitivity']) => {
    const ledger: Ledger = { ...spec.ledger, status, visibility: { sensitivity, restricted: false } };
    const bundle = threadToBundle({ recordId, thread: { ...spec, ledger } });
    t.same(problems(bundle), [], `${status} ${sensitivity} is valid`);
    return bundle;
  };
  t.same(
    ['open', 'closed', 'archived'].map((s) => resources(header(s as Ledger['status'], 'standard'))[0]?.status),
    ['in-progress', 'completed', 'completed'],
  );
  for (const [sensitivity, code] of [
    ['standard', 'N'],
    ['confidential', 'R'],
    ['restricted', 'V'],
  ] as const) {
    const bundle = header('open', sensitivity);
    t.same(
      resources(bundle).map((c) => c.meta?.security?.[0]?.code),
      [code, code, code],
      `${sensitivity} labels every Communication ${code}`,
    );
    t.equal(bundle.meta?.security?.[0]?.code, code, `${sensitivity} labels the bundle ${code}`);
  }
});

t.test('each role stands for its FHIR resource type, as sender and as recipient', async (t) => {
  const types: Record<Role, string> = {
    clinician: 'Practitioner',
    careadministrator: 'Practitioner',
    patient: 'Patient',
    patientassociate: 'RelatedPerson',
    system: 'Device',
  };
  const people = roles.map((role, i) => ({
    participant_id: `00000000-0000-4000-8000-00000000000${i}` as ParticipantId,
    role,
    display_name: `A ${role}`,
  }));
  const spec = fixtureThread('spec');
  const messages = people.map((p, i): Message => ({
    id: `10000000-0000-4000-8000-00000000000${i}` as MessageId,
    type: p.role,
    timestamp: spec.messages[0]!.timestamp,
    authorId: p.participant_id,
    author: p.display_name,
    body: `From ${p.role}.`,
  }));
  const bundle = threadToBundle({
    recordId,
    thread: { ...spec, ledger: { ...spec.ledger, participants: people }, messages },
  });
  t.same(problems(bundle), []);
  t.same(
    resources(bundle)
      .slice(1)
      .map((c) => c.sender?.type),
    roles.map((r) => types[r]),
  );
  t.same(
    resources(bundle)[0]?.recipient?.map((r) => r.type),
    roles.map((r) => types[r]),
  );
});

t.test('an author the ledger no longer lists is typed by the message type, or left untyped', async (t) => {
  const spec = fixtureThread('spec');
  const gone = (type: Message['type']): fhir4.Reference | undefined => {
    const m: Message = {
      ...spec.messages[0]!,
      type,
      authorId: '99999999-0000-4000-8000-000000000000' as ParticipantId,
      author: 'Former Member',
    };
    const bundle = threadToBundle({ recordId, thread: { ...spec, messages: [m] } });
    t.same(problems(bundle), [], `${type} is valid`);
    return resources(bundle)[1]?.sender;
  };
  t.equal(gone('patientassociate')?.type, 'RelatedPerson');
  t.equal(gone('system')?.type, undefined, 'a system message may come from any role');
  t.equal(gone('system')?.display, 'Former Member', 'the name is the one written in the message');
});

t.test('a record projects all its threads into one bundle; an empty record into an empty one', async (t) => {
  const seed = fixtureThread('seed');
  const other = generatedThread(samplePlan(), 1);
  const bundle = recordToBundle({ recordId, clinicalId, threads: [seed, other] });
  t.same(problems(bundle), []);
  t.same(transactionProblems(bundle), []);
  t.equal(resources(bundle).length, 1 + seed.messages.length + 1 + other.messages.length);
  t.equal(resources(bundle)[1 + seed.messages.length]?.id, other.id, 'each thread starts with its header');
  const empty = recordToBundle({ recordId, threads: [] });
  t.same(empty, { resourceType: 'Bundle', type: 'collection' });
  t.same(problems(empty), []);
  t.same(toTransactionBundle(empty), { resourceType: 'Bundle', type: 'transaction' });
});

t.test('the projection is pure: the same input gives the same bundle and is left untouched', async (t) => {
  const thread = fixtureThread('spec');
  const before = JSON.stringify(thread);
  const bundle = threadToBundle({ recordId, clinicalId, thread });
  const copy = JSON.stringify(bundle);
  t.same(threadToBundle({ recordId, clinicalId, thread }), bundle);
  toTransactionBundle(bundle);
  t.equal(JSON.stringify(thread), before);
  t.equal(JSON.stringify(bundle), copy, 'making the transaction leaves the collection as it was');
});

t.test('refuses ids that cannot become FHIR ids or resolvable references', async (t) => {
  const spec = fixtureThread('spec');
  t.throws(() => threadToBundle({ recordId, thread: { ...spec, id: 'not-a-thread-id' } }), /expected a thread id/);
  t.throws(() => threadToBundle({ recordId: '', thread: spec }), /expected a record id/);
  t.throws(
    () => threadToBundle({ recordId, thread: { ...spec, messages: [{ ...spec.messages[0]!, id: 'X' as MessageId }] } }),
    /expected a message id/,
  );
  t.throws(
    () => threadToBundle({ recordId, thread: { ...spec, messages: [spec.messages[1]!] } }),
    /correct an earlier message/,
  );
  t.throws(
    () => toTransactionBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:x' }] }),
    /expected entries/,
  );
});

t.test('the validator and our checks do report broken bundles, so a pass means something', async (t) => {
  const bundle = threadToBundle({ recordId, thread: fixtureThread('spec') });
  /** The bundle with its second entry's resource changed. */
  const broken = (change: (c: Record<string, unknown>) => void): CommunicationBundle => {
    const copy = JSON.parse(JSON.stringify(bundle)) as CommunicationBundle;
    change(copy.entry![1]!.resource as unknown as Record<string, unknown>);
    return copy;
  };
  t.notOk(
    validate(
      broken((c) => {
        c['status'] = 'sent';
      }),
    ).valid,
    'an invalid status',
  );
  t.notOk(
    validate(
      broken((c) => {
        c['payload'] = [{}];
      }),
    ).valid,
    'a payload without content',
  );
  t.notOk(
    validate(
      broken((c) => {
        c['sent'] = 'yesterday';
      }),
    ).valid,
    'a sent that is no dateTime',
  );
  t.notOk(
    validate(
      broken((c) => {
        c['readBy'] = 'Dr Tom Patel';
      }),
    ).valid,
    'an element R4 does not have',
  );
  t.notOk(
    validate(
      broken((c) => {
        delete c['status'];
      }),
    ).valid,
    'a missing status',
  );
  t.notOk(validate({ ...bundle, type: 'thread' }).valid, 'an invalid bundle type');
  const ours: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    [
      'an id with an underscore',
      (c) => {
        c['id'] = 'a_b';
      },
      /invalid id/,
    ],
    [
      'an id of 65 characters',
      (c) => {
        c['id'] = 'a'.repeat(65);
      },
      /invalid id/,
    ],
    [
      'an empty array',
      (c) => {
        c['recipient'] = [];
      },
      /empty value/,
    ],
    [
      'an empty object',
      (c) => {
        c['meta'] = {};
      },
      /empty value/,
    ],
    [
      'an empty string',
      (c) => {
        c['payload'] = [{ contentString: '' }];
      },
      /empty value/,
    ],
    [
      'a received time',
      (c) => {
        c['received'] = '2026-01-11T14:36:15.234Z';
      },
      /received is set/,
    ],
    [
      'a priority',
      (c) => {
        c['priority'] = 'urgent';
      },
      /priority is set/,
    ],
    [
      'a sent that only holds a year',
      (c) => {
        c['sent'] = '11 January 2026';
      },
      /invalid dateTime/,
    ],
    [
      'a reference out of the bundle',
      (c) => {
        c['partOf'] = [{ reference: 'Communication/elsewhere' }];
      },
      /resolves to no entry/,
    ],
  ];
  for (const [name, change, message] of ours) {
    const found = problems(broken(change));
    t.ok(
      found.some((p) => message.test(p)),
      `${name}: ${found.join(' | ')}`,
    );
  }
  const noExtension = JSON.parse(JSON.stringify(bundle)) as CommunicationBundle;
  delete noExtension.entry![2]!.resource!.extension;
  t.ok(
    problems(noExtension).some((p) => /lacks inResponseTo or the corrects extension/.test(p)),
    'a correction without its extension',
  );
  t.ok(validate(noExtension).valid, 'which the validator alone lets through');
  // The validator's primitive patterns are unanchored: these pass it, and only our checks catch them.
  t.ok(
    validate(
      broken((c) => {
        c['id'] = 'a_b c';
      }),
    ).valid,
    'the validator lets an invalid id through',
  );
  t.ok(
    validate(
      broken((c) => {
        c['sent'] = '11 January 2026';
      }),
    ).valid,
    'the validator lets a sent that only holds a year through',
  );
});

t.test('generated threads project to valid collection and transaction bundles', async (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(plan, fc.boolean(), (p, withPatient) => {
      const thread = generatedThread(p, 0);
      const bundle = threadToBundle({ recordId, ...(withPatient ? { clinicalId } : {}), thread });
      const found = [...problems(bundle), ...transactionProblems(bundle)];
      if (found.length > 0) throw new Error(found.join('\n'));
      if (resources(bundle).length !== thread.messages.length + 1)
        throw new Error('expected a header and one Communication per message');
      for (const v of [
        p.status,
        p.sensitivity,
        ...p.participants.map((x) => x.role),
        ...thread.messages.map((m) => m.type),
      ])
        seen.add(v);
    }),
    { numRuns: runs },
  );
  t.same(
    [...seen].sort(),
    [...new Set<string>([...threadStatuses, ...sensitivities, ...roles, 'correction'])].sort(),
    'the runs covered every status, sensitivity, role and correction',
  );
});

t.test('generated records project to valid bundles holding every thread', async (t) => {
  fc.assert(
    fc.property(fc.array(plan, { maxLength: 3 }), (plans) => {
      const threads = plans.map(generatedThread);
      const bundle = recordToBundle({ recordId, clinicalId, threads });
      const found = [...problems(bundle), ...transactionProblems(bundle)];
      if (found.length > 0) throw new Error(found.join('\n'));
      const headers = resources(bundle)
        .filter((c) => !c.partOf)
        .map((c) => c.id);
      if (JSON.stringify(headers) !== JSON.stringify(threads.map((x) => x.id)))
        throw new Error(`headers ${headers.join(', ')}`);
    }),
    { numRuns: Math.ceil(runs / 4) },
  );
  t.pass();
});
