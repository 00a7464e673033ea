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
  t.equal(renderBody('a\u202Eb'), 'a\u202Eb');
  t.notSame(checkMessagesText(file(renderBody('a\u202Eb'))).findings, []);
  t.equal(renderBody('   \n\n'), '', 'a blank body renders empty (the service refuses it)');
});
