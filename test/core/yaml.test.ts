import t from 'tap';
import { ruleIds } from '../../core/findings.js';
import {
  readLedger,
  renderLedger,
  type Ledger,
  type Participant,
  type Policies,
  type Visibility,
} from '../../core/ledger.js';
import { schemas } from '../../core/schemas.js';
import { readStatus, renderStatus, type CoordinationStatus } from '../../core/status.js';
import { checkLedger, checkStatus } from '../../core/rules/checkYaml.js';
import { readStrictYaml, yamlString } from '../../core/yaml.js';
import { fixture, fixtureText } from '../helpers/fixtures.js';

const enc = (s: string) => Buffer.from(s);

t.test('the SPEC and seed ledgers and the SPEC status read to their golden values', async (t) => {
  for (const name of ['spec-ledger', 'seed-ledger']) {
    const read = readLedger(fixture(`${name}.yaml`));
    t.ok(read.ok, name);
    if (read.ok) {
      t.same(read.value, JSON.parse(fixtureText(`${name}.json`)));
      t.equal(renderLedger(read.value), fixtureText(`${name}.canonical.yaml`), 'the writer gives the SPEC layout');
      t.same(readLedger(enc(renderLedger(read.value))), read, 'and reads back the same');
    }
  }
  const status = readStatus(fixture('spec-status.yaml'));
  t.ok(status.ok);
  if (status.ok) {
    t.same(status.value, JSON.parse(fixtureText('spec-status.json')));
    t.equal(renderStatus(status.value), fixtureText('spec-status.canonical.yaml'));
  }
});

t.test(
  'reads strictly: refuses directives, tags, anchors, aliases, duplicate and non-string keys, several documents',
  async (t) => {
    const cases: Record<string, string> = {
      'a %YAML 1.1 directive': '%YAML 1.1\n---\na: 1\n',
      'a %TAG directive': '%TAG ! tag:example.org,2000:\n---\na: 1\n',
      'a directive after the document end': 'a: 1\n...\n%YAML 1.1\n',
      'only a directive after an empty document': '...\n%YAML 1.1',
      'a tag': 'a: !!str 1\n',
      'a local tag': 'a: !thing x\n',
      'an anchor': 'a: &x 1\n',
      'an alias': 'a: &x 1\nb: *x\n',
      'an alias bomb': 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]\n',
      'a duplicate key': 'a: 1\na: 2\n',
      '1 and "1"': '1: a\n"1": b\n',
      'a number key': '1: a\n',
      'a null key': '~: a\n',
      'a complex key': '? [a]\n: 1\n',
      'two documents': 'a: 1\n---\nb: 2\n',
      'no document': '# only a comment\n',
      'a merge key with an alias': 'base: &b {x: 1}\nc:\n  <<: *b\n',
      'broken syntax': 'a: [1, 2\n',
    };
    for (const [name, text] of Object.entries(cases)) {
      const read = readStrictYaml(text);
      t.notOk(read.ok, name);
      if (!read.ok)
        t.ok(
          read.problems.every((p) => p.message.startsWith('expected')),
          `${name}: ${read.problems.map((p) => p.message).join('; ')}`,
        );
    }
    t.same(readStrictYaml('a: 1\nb: [x, "y"]\nc: {d: true}\n'), {
      ok: true,
      value: { a: 1, b: ['x', 'y'], c: { d: true } },
    });
    const proto = readStrictYaml('__proto__: {polluted: true}\n');
    t.ok(proto.ok && Object.keys(proto.value as object).includes('__proto__'), '__proto__ stays an own key');
    t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'and pollutes nothing');
  },
);

t.test('a ledger is validated with its schema, with findings saying what was expected', async (t) => {
  const good = fixtureText('spec-ledger.canonical.yaml');
  const cases: Array<[string, string, string, RegExp]> = [
    ['an extra field', good + 'unread_count: 3\n', ruleIds.ledgerSchema, /no field `unread_count`/],
    ['__proto__', good + '__proto__:\n  x: 1\n', ruleIds.ledgerSchema, /no field `__proto__`/],
    [
      'a wrong status',
      good.replace('status: open', 'status: urgent'),
      ruleIds.ledgerSchema,
      /one of open, closed, archived/,
    ],
    [
      'no participants',
      good.replace(/participants:\n(  .*\n)+/, 'participants: []\n'),
      ruleIds.ledgerSchema,
      /participants/,
    ],
    ['a quoted boolean', good.replace('restricted: false', 'restricted: "false"'), ruleIds.ledgerSchema, /boolean/],
    [
      'yes is not true in YAML 1.2',
      good.replace('restricted: false', 'restricted: yes'),
      ruleIds.ledgerSchema,
      /boolean/,
    ],
    ['a tag', good.replace('status: open', 'status: !!str open'), ruleIds.ledgerFormat, /no tags/],
    ['an uppercase participant id', good.replace('4f8c2a1d', '4F8C2A1D'), ruleIds.ledgerSchema, /pattern/],
    ['a bidi character', good.replace('Dr Jane', 'Dr \u202EJane'), ruleIds.ledgerFormat, /forbidden character/],
  ];
  for (const [name, text, rule, message] of cases) {
    const read = checkLedger(enc(text), 'c/ledger.yaml');
    t.notOk(read.ok, name);
    if (!read.ok)
      t.ok(
        read.findings.some((f) => f.rule === rule && message.test(f.message) && f.path === 'c/ledger.yaml'),
        `${name}: ${read.findings.map((f) => `${f.rule} ${f.message}`).join('; ')}`,
      );
  }
  t.match(
    checkLedger(Buffer.alloc(64 * 1024 + 1, 0x61)),
    { ok: false, findings: [{ rule: ruleIds.blobSize }] },
    'size is checked before reading',
  );
  t.match(checkStatus(enc('coordination_id: x\n')), { ok: false, findings: [{ rule: ruleIds.statusSchema }] });
});

t.test('the writer quotes only what would not read back as the same string', async (t) => {
  for (const [value, written] of [
    ['Dr Jane Smith', 'Dr Jane Smith'],
    ['true', '"true"'],
    ['123', '"123"'],
    ['null', '"null"'],
    ['Smith: GP', '"Smith: GP"'],
    ['#1 nurse', '"#1 nurse"'],
    ["O'Brien", "O'Brien"],
    ['Zoë Ünal', 'Zoë Ünal'],
    ['- dash', '"- dash"'],
    ['2026-01-11', '"2026-01-11"'],
    ['1e3', '"1e3"'],
    ['a "quote"', '"a \\"quote\\""'],
  ]) {
    t.equal(yamlString(value!), written, value!);
  }
  t.equal(yamlString('Zoë\u0085Ünal'), '"Zoë\\u0085Ünal"', 'a C1 control (NEL) is escaped, not written raw');
  const l = JSON.parse(fixtureText('spec-ledger.json')) as Ledger;
  for (const name of ['true', 'Smith: GP', '#1', '- x', 'a "b" \\ c', '0x1F', '.inf', '~', 'a\u0085b', '\u009f']) {
    const ledger = { ...l, participants: [{ ...l.participants[0]!, display_name: name }] };
    const read = readLedger(enc(renderLedger(ledger)));
    t.ok(read.ok && read.value.participants[0]!.display_name === name, `${name} round-trips`);
  }
});

t.test('a forbidden character written as an escape in a quoted string is refused as one written raw', async (t) => {
  const text = renderLedger(JSON.parse(fixtureText('spec-ledger.json')) as Ledger);
  for (const [escape, named] of [
    ['\\u202e', 'U+202E'],
    ['\\u200b', 'U+200B'],
    ['\\u0000', 'U+0000'],
    ['\\L', 'U+2028'],
    ['\\udc00', 'U+DC00'],
  ] as const) {
    const bad = text.replace('display_name: Dr Jane Smith', `display_name: "Dr Jane${escape}Smith"`);
    t.not(bad, text);
    const read = readLedger(enc(bad));
    t.notOk(read.ok, `${escape} refused`);
    t.match(read.ok ? [] : read.problems, [
      { file: 'ledger', kind: 'format', message: new RegExp(`${named.replace('+', '\\+')}.*escape`) },
    ]);
  }
  const good = text.replace('display_name: Dr Jane Smith', 'display_name: "Dr Jane\\u00e9Smith"');
  t.ok(readLedger(enc(good)).ok, 'an escape of an ordinary character is read');
});

t.test('the schemas and the TypeScript types name the same fields', async (t) => {
  // `satisfies` makes the compiler check these lists against the types, both ways.
  const ledger = {
    thread_id: 1,
    status: 1,
    created_at: 1,
    last_updated_at: 1,
    participants: 1,
    visibility: 1,
    policies: 1,
  } satisfies Record<keyof Ledger, 1>;
  const participant = { participant_id: 1, role: 1, display_name: 1 } satisfies Record<keyof Participant, 1>;
  const visibility = { sensitivity: 1, restricted: 1 } satisfies Record<keyof Visibility, 1>;
  const policies = { allow_patient_participation: 1, allow_external_organisations: 1 } satisfies Record<
    keyof Policies,
    1
  >;
  const status = { coordination_id: 1, clinical_id: 1, status: 1 } satisfies Record<keyof CoordinationStatus, 1>;
  const flags = { lifecycle_state: 1, record_open: 1, record_queryable: 1, record_modifiable: 1 } satisfies Record<
    keyof CoordinationStatus['status'],
    1
  >;
  const keys = (o: object) => Object.keys(o).sort();
  const l = schemas.ledger.properties;
  t.same(keys(l), keys(ledger));
  t.same(keys(l.participants.items.properties), keys(participant));
  t.same(keys(l.visibility.properties), keys(visibility));
  t.same(keys(l.policies.properties), keys(policies));
  t.same(keys(schemas.status.properties), keys(status));
  t.same(keys(schemas.status.properties.status.properties), keys(flags));
  t.same([...schemas.ledger.required].sort(), keys(ledger), 'every ledger field is required');
});

t.test('schemas carry an $id and forbid additional properties at every level', async (t) => {
  for (const schema of Object.values(schemas)) {
    t.match(schema.$id, /^https:\/\/ccr\.invalid\/schemas\/.*\.schema\.json$/);
    const objects: Array<Record<string, unknown>> = [];
    const walk = (n: unknown) => {
      if (n && typeof n === 'object') {
        if ((n as { type?: string }).type === 'object') objects.push(n as Record<string, unknown>);
        Object.values(n).forEach(walk);
      }
    };
    walk(schema);
    t.ok(objects.length > 0 && objects.every((o) => o['additionalProperties'] === false));
  }
});
