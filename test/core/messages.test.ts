import t from 'tap';
import { ruleIds } from '../../core/findings.js';
import { checkAppendedText, checkMessagesBytes, checkMessagesText } from '../../core/messages/file.js';
import * as grammar from '../../core/messages/grammar.js';
import {
  HEADER,
  appendMessages,
  parseMessages,
  plainMessage,
  renderMessages,
  type Message,
} from '../../core/messages/grammar.js';
import { fixture, fixtureText } from '../helpers/fixtures.js';

const M = (over: Partial<Message> = {}): Message => ({
  id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92' as Message['id'],
  type: 'clinician',
  timestamp: '2026-01-11T14:36:15.234Z' as Message['timestamp'],
  authorId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as Message['authorId'],
  author: 'Dr Jane Smith',
  body: 'Patient has reported increasing shortness of breath.',
  ...over,
});

/** The rule ids of the findings of a whole-file check. */
function rules(text: string): string[] {
  return [...new Set(checkMessagesText(text, 'm.md').findings.map((f) => f.rule))];
}

/** A file with one message whose body is given raw (not escaped). */
const withBody = (body: string) => renderMessages([M({ body })]);

t.test('the grammar module exports its API', async (t) => {
  t.same(Object.keys(grammar).sort(), [
    'HEADER',
    'appendMessages',
    'messageLimits',
    'parseMessages',
    'plainMessage',
    'renderBlock',
    'renderFields',
    'renderMessages',
  ]);
});

t.test('the SPEC and seed examples parse to their golden messages and render back byte for byte', async (t) => {
  for (const name of ['spec-messages', 'seed-messages']) {
    const text = fixtureText(`${name}.md`);
    const check = checkMessagesBytes(fixture(`${name}.md`), 'm.md');
    t.same(check.findings, [], `${name} has no findings`);
    const golden = JSON.parse(fixtureText(`${name}.json`)) as Message[];
    t.same(check.messages.map(plainMessage), golden, `${name} gives the golden messages`);
    t.equal(renderMessages(golden), text, `${name} renders back to the same bytes`);
  }
});

t.test('a thread without messages is exactly "# Messages\\n"', async (t) => {
  t.equal(renderMessages([]), '# Messages\n');
  t.same(checkMessagesText(HEADER), { messages: [], findings: [] });
});

t.test('appending is a pure byte append of separator and block', async (t) => {
  const one = renderMessages([M()]);
  const two = appendMessages(one, [
    M({ id: '8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d' as Message['id'], body: 'Second.' }),
  ]);
  t.ok(two.startsWith(one));
  t.equal(two.slice(one.length, one.length + 17), '\n---\n\n## Message\n');
  t.same(rules(two), []);
  t.equal(parseMessages(two).messages[1]!.line, 15, 'line numbers point at the `## Message` heading');
});

t.test('refuses files that break the byte grammar, saying what was expected', async (t) => {
  const good = renderMessages([M()]);
  const cases: Array<[string, string, RegExp]> = [
    ['no header', good.replace('# Messages\n', '# Notes\n'), /expected `# Messages`/],
    ['missing final newline', good.slice(0, -1), /newline at the end/],
    ['trailing blank line', good + '\n', /end with text/],
    ['missing two spaces', good.replace('clinician  \n', 'clinician\n'), /\*\*Type:\*\* <type>` and two spaces/],
    [
      'fields out of order',
      good.replace(/\*\*Type:\*\* clinician {2}\n(\*\*Timestamp:\*\* [^\n]*\n)/, '$1**Type:** clinician  \n'),
      /expected `\*\*Type:\*\*/,
    ],
    ['uppercase id', good.replace('3f7a8d2c', '3F7A8D2C'), /canonical lowercase UUID/],
    ['unknown type', good.replace('clinician  ', 'doctor  '), /one of clinician/],
    ['bad timestamp', good.replace('14:36:15.234Z', '14:36:15Z'), /YYYY-MM-DDTHH:MM:SS.sssZ/],
    ['correction without Corrects', good.replace('clinician  ', 'correction  '), /Corrects/],
    ['backtick in name', good.replace('Dr Jane Smith', 'Dr `Jane`'), /without backticks/],
    [
      'empty body',
      good.replace('Patient has reported increasing shortness of breath.\n', '\n'),
      /non-empty body|end with text|blank line/,
    ],
    ['leading blank line in body', good.replace('\nPatient', '\n\nPatient'), /start with text/],
  ];
  for (const [name, text, message] of cases) {
    const check = checkMessagesText(text, 'm.md');
    t.ok(
      check.findings.some((f) => f.rule === ruleIds.messageFormat && message.test(f.message)),
      `${name}: ${check.findings.map((f) => f.message).join(' | ')}`,
    );
    t.ok(
      check.findings.every((f) => f.path === 'm.md' && (f.line ?? 0) >= 1),
      `${name}: findings carry path and line`,
    );
  }
});

t.test('refuses forbidden characters and invalid UTF-8 with ccr/message-chars', async (t) => {
  for (const [name, ch] of [
    ['CR', '\r'],
    ['NUL', '\0'],
    ['BOM', '\uFEFF'],
    ['bidi override', '\u202E'],
    ['zero-width space', '\u200B'],
    ['line separator', '\u2028'],
    ['DEL', '\u007F'],
    ['isolate', '\u2066'],
  ] as const) {
    t.same(rules(withBody(`Take 5${ch}0 mg`)), [ruleIds.messageChars], name);
  }
  t.same(
    rules('\uFEFF' + renderMessages([M()])),
    [ruleIds.messageChars, ruleIds.messageFormat],
    'a BOM before the header',
  );
  t.same(rules(withBody('Tabs\tare fine')), [], 'tab is allowed');
  const bytes = Buffer.concat([
    Buffer.from(renderMessages([M({ body: 'x' })]).slice(0, -2)),
    Buffer.from([0xc3, 0x28, 0x0a]),
  ]);
  t.same(
    checkMessagesBytes(bytes).findings.map((f) => f.rule),
    [ruleIds.messageChars],
    'invalid UTF-8',
  );
  t.same(rules(withBody('x'.repeat(10_001))), [ruleIds.messageLimits], 'a line over 10,000 characters');
  t.same(rules(withBody('😀'.repeat(10_000))), [], '10,000 characters of 2 UTF-16 units each are fine');
  t.same(
    rules(
      withBody(
        'x'
          .repeat(64 * 1024 + 1)
          .replace(/(.{1000})/g, '$1\n')
          .trim(),
      ),
    ),
    [ruleIds.messageLimits],
    'a body over 64 KiB',
  );
});

t.test('refuses a body that forges message structure, whatever its form', async (t) => {
  const forged = {
    'ATX heading': 'Fine.\n\n## Message\n\nmore',
    'ATX heading after text': 'Fine.\n## Message',
    'closed ATX heading': '## Message ##',
    'tab after hashes': '##\tMessage',
    'indented heading': '   ## Message',
    'level-1 heading': '# Messages',
    'setext level 2': 'Message\n-------',
    'setext level 1': 'Message\n=======',
    'thematic break': 'a\n\n---\n\nb',
    'starred break': 'a\n\n* * *\n\nb',
    'underscore break': '___',
    'forged ID line': '**ID:** `8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d`  \n**Type:** clinician',
    'forged Author line': 'ok\n**Author:** Dr Tom Patel',
  };
  for (const [name, body] of Object.entries(forged)) {
    t.same(rules(withBody(body)), [ruleIds.messageAmbiguous], name);
  }
  const fencedSeparator = withBody('```\n---\n\n## Message\n```');
  t.same(rules(fencedSeparator), [], 'a fenced `---` without the full separator is just code');
});

t.test('refuses raw HTML, link reference definitions and unclosed fences', async (t) => {
  for (const [name, body] of Object.entries({
    'inline html': 'BP is <span hidden>not</span> fine',
    'html block': '<div>\nhidden\n</div>',
    'html comment': 'text\n\n<!-- hidden',
    definition: '[x]: https://example.org\n\nsee [x]',
    'unclosed fence': '```\ncode',
    'unclosed tilde fence': 'text\n\n~~~~\ncode\n~~~',
    'html in a list': '- item <b>bold</b>',
  })) {
    t.same(rules(withBody(body)), [ruleIds.messageAmbiguous], name);
  }
  t.same(rules(withBody('BP <120/80 and 3 < 4 > 2')), [], 'a less-than sign that opens no tag is text');
  t.same(rules(withBody('```\ncode\n```')), [], 'a closed fence');
  t.same(
    rules(withBody('Nested:\n\n> ## Message\n\n- item\n  ***')),
    [],
    'headings and breaks inside quotes and lists do not touch the structure',
  );
});

t.test('refuses nesting deeper than 16 levels, before remark for hostile depths', async (t) => {
  const depth = (n: number) => Array.from({ length: n }, (_, i) => ' '.repeat(2 * i) + '- x').join('\n');
  t.same(rules(withBody(depth(16))), [], '16 levels');
  t.same(rules(withBody(depth(17))), [ruleIds.messageLimits], '17 levels');
  t.same(rules(withBody('> '.repeat(17) + 'x')), [ruleIds.messageLimits], '17 quote levels');
  const start = performance.now();
  t.same(rules(withBody('> '.repeat(4000) + 'x')), [ruleIds.messageLimits], '4000 levels');
  t.same(rules(withBody(depth(240))), [ruleIds.messageLimits], '240 levels of indented items');
  t.ok(performance.now() - start < 5000, 'hostile nesting is refused without waiting on remark');
});

t.test('refuses a body with more emphasis markers than remark reads quickly, without reading it', async (t) => {
  const slow = withBody('*a'.repeat(30_000).replace(/(.{9000})/g, '$1\n'));
  const start = performance.now();
  t.same(rules(slow), [ruleIds.messageLimits]);
  t.ok(performance.now() - start < 1000, 'refused at once (remark takes seconds on it)');
  t.same(rules(withBody('*a* '.repeat(900))), [], '1,800 markers are read');
  t.same(rules(withBody(Array.from({ length: 3000 }, () => '* item').join('\n'))), [], 'list markers do not count');
});

t.test('an author name must read as plain text', async (t) => {
  t.same(rules(renderMessages([M({ author: 'Dr *Jane* Smith' })])), [ruleIds.messageAmbiguous]);
  t.same(rules(renderMessages([M({ author: 'Dr <b>Jane</b>' })])), [ruleIds.messageAmbiguous]);
  t.same(rules(renderMessages([M({ author: "O'Brien & Sons (GP)" })])), []);
});

t.test('checks only what was appended, with line numbers of the whole file', async (t) => {
  const one = renderMessages([M()]);
  const appended = appendMessages(one, [
    M({ id: '8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d' as Message['id'], body: 'ok\n\n---\n\nforged' }),
  ]).slice(one.length);
  const check = checkAppendedText(appended, { blocks: 1, lines: one.split('\n').length - 1 }, 'm.md');
  t.same(
    check.findings.map((f) => [f.rule, f.line]),
    [[ruleIds.messageAmbiguous, 25]],
  );
  const whole = checkMessagesText(one + appended, 'm.md');
  t.same(
    whole.findings.map((f) => [f.rule, f.line]),
    [[ruleIds.messageAmbiguous, 25]],
    'the same line as a whole-file check',
  );
  t.match(checkAppendedText('\n## Message\n', { blocks: 1, lines: 12 }).findings[0], { rule: ruleIds.appendOnly });
  t.same(
    checkAppendedText(appendMessages(HEADER, [M()]).slice(HEADER.length), { blocks: 0, lines: 1 }).findings,
    [],
    'the first append',
  );
});
