import t from 'tap';
import { parseCommitMessage, renderCommitMessage, subjects } from '../../core/commitMessage.js';

t.test('renders the SPEC subjects with a Care-Location trailer, and parses them back', async (t) => {
  t.equal(
    renderCommitMessage(subjects.addMessage, 'Oxford University Hospitals'),
    'coordination:update: Added message to thread\n\nCare-Location: Oxford University Hospitals\n',
  );
  for (const subject of Object.values(subjects)) {
    const parsed = parseCommitMessage(renderCommitMessage(subject, 'Ward 7'));
    t.ok(
      parsed.ok &&
        parsed.value.careLocation === 'Ward 7' &&
        subject.startsWith(`coordination:${parsed.value.action}: `),
      subject,
    );
  }
  t.match(
    parseCommitMessage(
      'coordination:update: Updated thread participant list\n\nCare-Location: X\nSigned-off-by: A <a@b>\n',
    ),
    { ok: true, value: { summary: 'Updated thread participant list' } },
    'other summaries and trailers are allowed',
  );
});

t.test('refuses messages that break the grammar, saying what was expected', async (t) => {
  const cases: Record<string, [string, RegExp]> = {
    'a free subject': ['Add message\n\nCare-Location: X\n', /subject `coordination:/],
    'an unknown action': ['coordination:delete: Removed\n\nCare-Location: X\n', /subject/],
    'no trailers': ['coordination:update: Added message to thread\n', /blank line after the subject/],
    'no blank line': ['coordination:update: Added\nCare-Location: X\n', /blank line/],
    'missing Care-Location': ['coordination:update: Added\n\nSigned-off-by: A\n', /exactly one `Care-Location`/],
    'two Care-Locations': ['coordination:update: Added\n\nCare-Location: A\nCare-Location: B\n', /found 2/],
    'a body paragraph': ['coordination:update: Added\n\nSome text here\n\nCare-Location: X\n', /only trailers/],
    'an over-long location': [`coordination:update: Added\n\nCare-Location: ${'x'.repeat(201)}\n`, /1–200/],
    'a bidi character': ['coordination:update: Added \u202E\n\nCare-Location: X\n', /bidirectional/],
  };
  for (const [name, [message, expected]] of Object.entries(cases)) {
    const parsed = parseCommitMessage(message);
    t.ok(!parsed.ok && expected.test(parsed.problem), `${name}: ${parsed.ok ? 'accepted' : parsed.problem}`);
  }
});
