// Round-trip and safety properties over generated input (fast-check). The number of runs is fixed
// for CI; CCR_FUZZ_RUNS raises it for a long run (docs/reliability.md).

import fc from 'fast-check';
import t from 'tap';
import { parseCommitMessage, renderCommitMessage } from '../../core/commitMessage.js';
import { formatThreadId, formatTimestamp, type MessageId, type ParticipantId, type Uuid } from '../../core/ids.js';
import { canonicalLedger, readLedger, readLedgerYaml, renderLedger, type Ledger } from '../../core/ledger.js';
import { RuleViolation } from '../../core/errors.js';
import { renderBody } from '../../core/messages/body.js';
import { checkMessagesText } from '../../core/messages/file.js';
import { plainMessage, renderMessages, type Message } from '../../core/messages/grammar.js';
import { roles, sensitivities, threadStatuses } from '../../core/vocabulary.js';
import { readStrictYaml } from '../../core/yaml.js';
import { FORBIDDEN_CHARS } from '../../core/text.js';

const runs = Number(process.env['CCR_FUZZ_RUNS'] ?? 2000);

/** JSON with sorted keys, to compare values whatever the order their keys were built in. */
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/** Pieces of text that stress the markdown reading: structure, escapes, unicode, control characters. */
const tokens = [
  '## Message',
  '# Messages',
  '---',
  '***',
  '___',
  '- - -',
  '===',
  'Message',
  '<b>',
  '</b>',
  '<!--',
  '-->',
  '<div>',
  '```',
  '~~~',
  '    code',
  '> ',
  '- ',
  '* ',
  '1. ',
  '1) ',
  '[x]: /url',
  '[x]',
  '**ID:** `3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92`',
  '**Author:** X',
  '\\',
  '`',
  '*',
  '_',
  '&amp;',
  '&#x202E;',
  'BP <120/80',
  '##\tMessage',
  '   ## Message',
  '## Message ##',
  'é',
  '😀',
  'ß',
  '\u202E',
  '\u200B',
  '\r',
  '\0',
  '\t',
  '  ',
  '\n',
  '\n\n',
];
// Most code points of the whole range are unassigned or private-use, which are refused: raw
// binary lines stay (they must be refused with a reason), and lines of assigned code points only
// keep text that can be accepted frequent enough for the round trip to be tried.
const binary = fc.string({ unit: 'binary', maxLength: 20 });
const line = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...tokens), { maxLength: 6 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: binary.map((s) => s.replace(/[\p{Cn}\p{Co}]/gu, '')) },
  { weight: 1, arbitrary: binary },
);
const typedText = fc.array(line, { minLength: 1, maxLength: 12 }).map((lines) => lines.join('\n'));
const uuid = fc.uuid({ version: 4 }).map((u) => u as Uuid);
const time = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
const name = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 })
  .map((s) => s.replace(/[`\s]+/g, ' ').trim() || 'A');
/**
 * Names from all of Unicode (controls, C1, NEL, no-break and other spaces, surrogate halves,
 * letters and digits of every script) within the schema's shape, and names of YAML's indicators:
 * what a display name can be, for the two ledger readings to be compared on.
 */
const anyName = fc.oneof(
  name,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => s.replace(/[`\n]/g, 'x')),
  fc.constantFrom(
    '\u0085',
    'a\u2028b',
    ' lead',
    'trail ',
    'a\tb',
    '\ufeffA',
    '%x',
    '@x',
    '!x',
    '&a',
    '*a',
    '|',
    '>',
    '? x',
    '-',
    ',x',
    '[x]',
    '{x}',
    '#x',
    'x #y',
    'x:',
    'é',
    '٣',
    '\ud800',
  ),
);

/** The rendered body, or (where the renderer refuses it) the text as typed, for the validator to refuse in turn. */
const bodyOf = (typed: string) => {
  try {
    return renderBody(typed);
  } catch (e) {
    if (e instanceof RuleViolation) return typed;
    throw e;
  }
};

const message = fc
  .record({
    id: uuid,
    authorId: uuid,
    timestamp: time.map(formatTimestamp),
    author: name,
    body: typedText.map(bodyOf),
    type: fc.constantFrom(...roles),
    corrects: fc.option(uuid, { nil: undefined }),
  })
  .map(
    ({ corrects, ...m }): Message =>
      (corrects ? { ...m, type: 'correction', corrects: corrects as MessageId } : m) as Message,
  );

t.test('typed text rendered as a body either reads back exactly or is refused with a reason', async (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(typedText, (typed) => {
      let body: string;
      try {
        body = renderBody(typed);
      } catch (e) {
        // The renderer refuses invisible text with the validator's rule id and a reason.
        return (
          e instanceof RuleViolation &&
          e.findings.every((f) => f.rule === 'ccr/message-chars' && f.message.startsWith('expected'))
        );
      }
      const file = renderMessages([
        {
          id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92',
          type: 'clinician',
          timestamp: '2026-01-11T14:36:15.234Z',
          authorId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
          author: 'Dr Jane Smith',
          body,
        } as Message,
      ]);
      const check = checkMessagesText(file, 'm.md');
      if (check.findings.length > 0)
        return check.findings.every((f) => f.rule.startsWith('ccr/') && f.message.startsWith('expected'));
      accepted++;
      return check.messages.length === 1 && check.messages[0]!.body === body;
    }),
    { numRuns: runs },
  );
  // A reader that refused everything would pass the property; most typed text must get through.
  t.ok(accepted >= runs * 0.2, `${accepted} of ${runs} generated bodies read back exactly`);
});

t.test('generated threads round-trip: render(parse(f)) === f, and nothing parses to something else', async (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(message, { maxLength: 6 }), (messages) => {
      const file = renderMessages(messages);
      const check = checkMessagesText(file, 'm.md');
      if (check.findings.length > 0) return check.findings.every((f) => f.message.startsWith('expected'));
      accepted++;
      const back = check.messages.map(plainMessage);
      return canon(back) === canon(messages) && renderMessages(back) === file;
    }),
    { numRuns: runs },
  );
  t.ok(accepted >= runs * 0.1, `${accepted} of ${runs} generated threads round-trip`);
});

t.test('any text given as messages.md is judged without throwing', async (t) => {
  fc.assert(
    fc.property(typedText, typedText, (a, b) => {
      const text = `# Messages\n\n## Message\n\n${a}\n\n${b}\n`;
      const check = checkMessagesText(text);
      return (
        Array.isArray(check.findings) &&
        (check.findings.length > 0 || check.messages.length > 0 || text === '# Messages\n')
      );
    }),
    { numRuns: runs },
  );
  t.pass();
});

const participant = fc.record({
  participant_id: uuid.map((u) => u as ParticipantId),
  role: fc.constantFrom(...roles),
  display_name: anyName,
});
/** Valid ledgers of every shape the schema allows, names from anyName. */
const ledger = fc
  .record({
    created: time,
    later: fc.nat(1e9),
    uuid,
    status: fc.constantFrom(...threadStatuses),
    participants: fc.uniqueArray(participant, { minLength: 1, maxLength: 5, selector: (p) => p.participant_id }),
    sensitivity: fc.constantFrom(...sensitivities),
    restricted: fc.boolean(),
    a: fc.boolean(),
    b: fc.boolean(),
  })
  .map((g): Ledger => ({
    thread_id: formatThreadId(g.created, g.uuid),
    status: g.status,
    created_at: formatTimestamp(g.created),
    last_updated_at: formatTimestamp(g.created + g.later),
    participants: g.participants,
    visibility: { sensitivity: g.sensitivity, restricted: g.restricted },
    policies: { allow_patient_participation: g.a, allow_external_organisations: g.b },
  }));

t.test('generated ledgers written by the writer read back equal', async (t) => {
  // Both readings: the YAML library's, which defines the file (so canonicalLedger's premise, that
  // the YAML reading of a valid ledger's rendering is that ledger, holds), and the line reader's,
  // compared with their keys in order. A name with a forbidden character is refused by both.
  fc.assert(
    fc.property(ledger, (l) => {
      const bytes = Buffer.from(renderLedger(l));
      const yaml = readLedgerYaml(bytes);
      const lines = canonicalLedger(bytes);
      if (l.participants.some((p) => FORBIDDEN_CHARS.test(p.display_name)))
        return !yaml.ok && lines === null && !readLedger(bytes).ok;
      return (
        yaml.ok &&
        canon(yaml.value) === canon(l) &&
        lines !== null &&
        JSON.stringify(lines) === JSON.stringify(yaml.value)
      );
    }),
    { numRuns: runs },
  );
  t.pass();
});

t.test('a ledger text read line by line reads as the YAML library reads it, edited anyhow', async (t) => {
  // Rendered ledgers with edits of the kinds that change YAML's reading and not the lines' look:
  // quotes, escapes, comments, flow and block markers, indentation, keys, booleans' spellings.
  const pieces = [
    '"',
    "'",
    '\\',
    '\\u0041',
    '#',
    ' #',
    ': ',
    ':',
    '- ',
    '  ',
    '\t',
    '\n',
    '\r',
    '[',
    ']',
    '{',
    '}',
    '&a',
    '*a',
    '!!str ',
    '~',
    'null',
    'True',
    'yes',
    'false',
    '0x1',
    '1e3',
    '---',
    '...',
    '%YAML 1.2',
    '\u202e',
    '\u00e9',
    'x',
    '1',
  ];
  const edit = fc.record({ at: fc.nat(), drop: fc.nat(3), insert: fc.constantFrom(...pieces) });
  fc.assert(
    fc.property(ledger, fc.array(edit, { minLength: 1, maxLength: 3 }), (l, edits) => {
      let text = renderLedger(l);
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.insert + text.slice(at + e.drop);
      }
      const bytes = Buffer.from(text);
      const lines = canonicalLedger(bytes);
      const yaml = readLedgerYaml(bytes);
      // Taken line by line only when the YAML library reads the same value (its keys in the same
      // order); otherwise left to it.
      if (lines !== null && !(yaml.ok && JSON.stringify(yaml.value) === JSON.stringify(lines))) return false;
      return JSON.stringify(readLedger(bytes)) === JSON.stringify(yaml);
    }),
    { numRuns: runs },
  );
  t.pass();
});

t.test('strict YAML reading never throws and never lets an alias, tag or directive through', async (t) => {
  const yamlish = fc
    .array(
      fc.constantFrom(
        'a: 1',
        'b: &x [1]',
        'c: *x',
        '!!str d: e',
        '%YAML 1.1',
        '---',
        '...',
        '? [k]',
        ': v',
        '- x',
        '  - y',
        'k: "v"',
        '"1": 2',
        '1: 3',
        '__proto__: {}',
        '{a: 1}',
        '#c',
        '',
      ),
      { maxLength: 8 },
    )
    .map((l) => l.join('\n'));
  fc.assert(
    fc.property(fc.oneof(yamlish, fc.string({ unit: 'binary', maxLength: 60 })), (text) => {
      const read = readStrictYaml(text);
      if (!read.ok) return read.problems.length > 0;
      return !/[&*!%]/.test(text.replace(/"[^"]*"|#.*$/gm, '')) || /[&*!%]/.test(JSON.stringify(read.value));
    }),
    { numRuns: runs },
  );
  t.pass();
});

t.test('commit messages round-trip', async (t) => {
  const summary = fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 })
    .map((s) => s.replace(/\s+/g, ' ').trim() || 'x');
  fc.assert(
    fc.property(fc.constantFrom('create', 'update'), summary, name, (action, s, where) => {
      const parsed = parseCommitMessage(renderCommitMessage(`coordination:${action}: ${s}`, where));
      return (
        parsed.ok && parsed.value.action === action && parsed.value.summary === s && parsed.value.careLocation === where
      );
    }),
    { numRuns: runs },
  );
  t.pass();
});
