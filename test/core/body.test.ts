import t from 'tap';
import { renderBody } from '../../core/messages/body.js';
import { checkMessagesText } from '../../core/messages/file.js';
import { parseMarkdown } from '../../core/messages/markdown.js';
import { renderMessages, type Message } from '../../core/messages/grammar.js';

const file = (body: string) => renderMessages([{
  id: '3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92', type: 'clinician', timestamp: '2026-01-11T14:36:15.234Z',
  authorId: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12', author: 'Dr Jane Smith', body,
} as Message]);

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
  for (const typed of ['## Plan', 'Results\n---', 'Give <b>5 mg</b>', '[1]: https://example.org/result', '***', 'Title\n=====']) {
    const shown = visible(renderBody(typed));
    t.ok(shown.replace(/[\\\s]/g, '').includes(typed.replace(/[\s]/g, '').replace(/^#+/, (h) => h)), `${JSON.stringify(typed)} shows as ${JSON.stringify(shown)}`);
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
    t.ok(found.some((f) => f.rule === 'ccr/message-chars'), `the validator refuses ${what}: ${found.map((f) => f.message).join(' | ')}`);
  }
  const visible = ['I \u2764\uFE0F the new plan', 'Keycap 1\uFE0F\u20E3', 'Zo\u00EB\u2019s caf\u00E9 \u{1F600}', 'Tom &amp; Jane', '![scan](x.png)', 'Dose:\u00A010 mg'];
  for (const typed of visible) {
    t.same(checkMessagesText(file(renderBody(typed))).findings, [], `${JSON.stringify(typed)} is accepted`);
  }
});
