import t from 'tap';
import { renderBody } from '../../core/messages/body.js';
import { checkMessagesText } from '../../core/messages/file.js';
import { parseMarkdown } from '../../core/messages/markdown.js';
import { renderMessages, type Message } from '../../core/messages/grammar.js';

const file = (body: string) =>
  renderMessages([
    {
      id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92',
      type: 'clinician',
      timestamp: '2026-01-11T14:36:15.234Z',
      authorId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
      author: 'Dr Jane Smith',
      body,
    } as Message,
  ]);

/** The visible text of markdown: what a reader sees, structure aside. */
function visible(markdown: string): string {
  const out: string[] = [];
  const walk = (n: { type: string; value?: string; children?: unknown[] }) => {
    if (typeof n.value === 'string') out.push(n.value);
    for (const c of n.children ?? []) walk(c as typeof n);
  };
  walk(parseMarkdown(markdown) as never);
  return out.join('').replace(/\s+/g, ' ').trim();
}

t.test('ordinary clinical text is accepted and shown as written', async (t) => {
  const cases: Array<[string, string]> = [
    ['## Plan\nContinue current management.', '\\## Plan\nContinue current management.'],
    ['BP <120/80', 'BP <120/80'],
    ['Results\n---', 'Results\n\\---'],
    ['Results\n\n----------\n\nNext', 'Results\n\n\\----------\n\nNext'],
    ['Title\n=====', 'Title\n\\====='],
    ['# Summary', '\\# Summary'],
    ['***', '\\***'],
    ['Give <b>5 mg</b>', 'Give \\<b>5 mg\\</b>'],
    ['[note]: see chart', '[note]: see chart'],
    ['[1]: https://example.org/result', '\\[1]: https://example.org/result'],
    ['**ID:** 12345 is the ward', '\\*\\*ID:** 12345 is the ward'],
    ['```\nlet x = 1', '```\nlet x = 1\n```'],
    ['\r\n\r\nFirst line\r\nsecond\r\n\r\n', 'First line\nsecond'],
    ['### Level three stays', '### Level three stays'],
  ];
  for (const [typed, body] of cases) {
    const rendered = renderBody(typed);
    t.equal(rendered, body, JSON.stringify(typed));
    t.same(checkMessagesText(file(rendered)).findings, [], `${JSON.stringify(typed)} is accepted`);
  }
});

t.test('escaping keeps what a reader sees', async (t) => {
  for (const typed of [
    '## Plan',
    'Results\n---',
    'Give <b>5 mg</b>',
    '[1]: https://example.org/result',
    '***',
    'Title\n=====',
  ]) {
    const shown = visible(renderBody(typed));
    t.ok(
      shown.replace(/[\\\s]/g, '').includes(typed.replace(/[\s]/g, '').replace(/^#+/, (h) => h)),
      `${JSON.stringify(typed)} shows as ${JSON.stringify(shown)}`,
    );
  }
  t.equal(visible(renderBody('## Plan')), '## Plan');
  t.equal(visible(renderBody('Give <b>5 mg</b>')), 'Give <b>5 mg</b>');
});

t.test('what cannot be made safe is left for the validator to refuse', async (t) => {
  // Issue 11.4 changed this: a forbidden character is refused by the renderer itself, with the
  // validator's rule id (it was returned as is, for the validator to refuse).
  t.throws(() => renderBody('a\u202Eb'), { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars' }] });
  t.notSame(checkMessagesText(file('a\u202Eb')).findings, []);
  t.equal(renderBody('   \n\n'), '', 'a blank body renders empty (the service refuses it)');
  const deep = Array.from({ length: 40 }, (_, i) => ' '.repeat(2 * i) + '- x').join('\n');
  t.equal(renderBody(deep), deep, 'very deep nesting is returned as is');
  t.ok(checkMessagesText(file(deep)).findings.some((f) => f.rule === 'ccr/message-limits'));
});

t.test('invisible text is refused by the renderer and the validator with the same rule id', async (t) => {
  const invisible: Record<string, string> = {
    'a tag character': 'Take 5\u{E0041}0 mg',
    'tag characters spelling hidden text': 'Fine\u{E0069}\u{E0067}\u{E006E}',
    'a word joiner': 'a\u2060b',
    'a soft hyphen': 'ex\u00ADample',
    'a combining grapheme joiner': 'a\u034Fb',
    'a Hangul filler': '\u3164',
    'a variation selector after a letter': 'a\uFE0F',
    'a run of variation selectors (a hidden channel)': 'ok \u2764\uFE0F\uFE0F',
    'a variation selector other than U+FE0F': 'a\uFE00',
    'only no-break spaces': '\u00A0\u00A0\u00A0',
    'only an ideographic space and a braille blank': '\u3000\u2800',
    'a bidi override written as a character reference': 'Take 5&#x202E;0 mg',
    'a tag character written as a character reference': 'Fine&#xE0041;',
    'only a no-break space written as a character reference': '&nbsp;',
    'only an empty link': '[](https://example.org)',
    'only an empty list item': '-',
  };
  for (const [what, typed] of Object.entries(invisible)) {
    const refusal = { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars', message: /^expected/ }] };
    t.throws(() => renderBody(typed), refusal, `the renderer refuses ${what}`);
    const found = checkMessagesText(file(typed)).findings;
    t.ok(
      found.some((f) => f.rule === 'ccr/message-chars'),
      `the validator refuses ${what}: ${found.map((f) => f.message).join(' | ')}`,
    );
  }
  const visible = [
    'I \u2764\uFE0F the new plan',
    'Keycap 1\uFE0F\u20E3',
    'Zo\u00EB\u2019s caf\u00E9 \u{1F600}',
    'Tom &amp; Jane',
    '![scan](x.png)',
    'Dose:\u00A010 mg',
  ];
  for (const typed of visible) {
    t.same(checkMessagesText(file(renderBody(typed))).findings, [], `${JSON.stringify(typed)} is accepted`);
  }
});

t.test('private-use and unassigned code points are refused by the renderer and the validator alike', async (t) => {
  const refused: Record<string, [typed: string, found: string]> = {
    'only a private-use character': ['\uE000', 'private-use character (U+E000)'],
    'a private-use character in a dose': ['Take 5\uE0000 mg', 'private-use character (U+E000)'],
    'a vendor glyph': ['Signed \uF8FF', 'private-use character (U+F8FF)'],
    'a supplementary private-use character': ['Fine\u{F0041}', 'private-use character (U+F0041)'],
    'an unassigned code point': ['Take 5\u03780 mg', 'unassigned code point (U+0378)'],
    'a noncharacter': ['Fine\uFDD0', 'unassigned code point (U+FDD0)'],
    'a lone surrogate (only a JSON string can carry one)': ['Fine\uD800', 'lone surrogate (U+D800)'],
  };
  for (const [what, [typed, found]] of Object.entries(refused)) {
    const message = `expected no forbidden character, found ${found}`;
    const refusal = { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars', message }] };
    t.throws(() => renderBody(typed), refusal, `the renderer refuses ${what}`);
    if (what.includes('surrogate')) continue; // a file is UTF-8 bytes: no surrogate reaches the validator
    const findings = checkMessagesText(file(typed)).findings;
    const same = findings.some((f) => f.rule === 'ccr/message-chars' && f.message === message);
    t.ok(same, `the validator refuses ${what}`);
  }
  const reference = { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars' }] };
  t.throws(() => renderBody('Fine&#xE000;'), reference, 'also written as a character reference');
});

t.test('U+FE0F after a digit, `#` or `*` is accepted only in a keycap', async (t) => {
  const message =
    'expected no forbidden character, found variation selector (U+FE0F) not right after an emoji ' +
    '(after a digit, `#` or `*` only in a keycap, U+20E3 next)';
  const refusal = { code: 'RuleViolation', findings: [{ rule: 'ccr/message-chars', message }] };
  for (const typed of ['Take 5\uFE0F0 mg', 'Take 1\uFE0F2\uFE0F.5 mg', 'Room #\uFE0F4', 'Note *\uFE0F', '9\uFE0F']) {
    t.throws(() => renderBody(typed), refusal, `the renderer refuses ${JSON.stringify(typed)}`);
    const findings = checkMessagesText(file(typed)).findings;
    const same = findings.some((f) => f.rule === 'ccr/message-chars' && f.message === message);
    t.ok(same, `the validator refuses ${JSON.stringify(typed)}`);
  }
  const keycaps = ['5\uFE0F\u20E3 tablets', 'Dial #\uFE0F\u20E3 then *\uFE0F\u20E3', '0\uFE0F\u20E3', '5\u20E3 alone'];
  for (const typed of [...keycaps, '\u00A9\uFE0F 2026']) {
    t.same(checkMessagesText(file(renderBody(typed))).findings, [], `${JSON.stringify(typed)} is accepted`);
  }
});
