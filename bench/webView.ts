// Benchmark: rendering a thread page (server/web/) against the validator's own full reading of the
// same messages.md (byte grammar, remark reading, character and limit checks), in the same run;
// the part left on the event loop once a reader thread has rendered the messages (the server's
// way); and the worst body the rules let through (64 KiB, 2,000 emphasis markers).
// Usage: node dist/bench/webView.js [messages]

import { checkMessagesText } from '../core/messages/file.js';
import { renderMessages as renderMessagesFile, type Message } from '../core/messages/grammar.js';
import {
  formatTimestamp,
  newUuid,
  type ParticipantId,
  type RecordId,
  type ThreadId,
  type Timestamp,
} from '../core/ids.js';
import type { Ledger } from '../core/ledger.js';
import { renderMessages, renderThreadPage } from '../server/web/index.js';
import { median, report, sample } from './util.js';

const n = Number(process.argv[2] ?? 1000);
const jane = {
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as ParticipantId,
  role: 'clinician' as const,
  display_name: 'Dr Jane Smith',
};
const t0 = Date.UTC(2026, 0, 11, 14, 35);
const ledger: Ledger = {
  thread_id: `20260111T143500.000Z-${newUuid()}` as ThreadId,
  status: 'open',
  created_at: formatTimestamp(t0) as Timestamp,
  last_updated_at: formatTimestamp(t0 + n * 60_000),
  participants: [jane],
  visibility: { sensitivity: 'standard', restricted: false },
  policies: { allow_patient_participation: true, allow_external_organisations: true },
};

/** A clinical note of about 600 bytes: paragraphs, emphasis, a list, a link, some code. */
function note(i: number): string {
  return (
    `Review ${i}: patient reports **increasing** shortness of breath on exertion, _worse at night_.\n\n` +
    '- SpO2 94% on room air\n- RR 22, HR 96\n- chest X-ray: no consolidation\n\n' +
    `Plan: repeat \`spirometry\` and review at [the clinic](https://clinic.example.org/booking/${i}). ` +
    'Please call the ward if symptoms change overnight; the family has been informed and agrees with the plan.'
  );
}

const messages: Message[] = Array.from({ length: n }, (_, i) => ({
  id: newUuid(),
  type: 'clinician',
  timestamp: formatTimestamp(t0 + (i + 1) * 60_000),
  authorId: jane.participant_id,
  author: jane.display_name,
  body: note(i),
}));
const file = renderMessagesFile(messages);
const record = newUuid() as RecordId;

const samples = Math.max(3, Math.round(5_000 / n));
const validate = median(await sample(samples, async () => checkMessagesText(file), 1));
const render = median(await sample(samples, async () => renderThreadPage({ record, ledger, messages }), 1));
const rendered = renderMessages(messages);
const frame = median(
  await sample(samples * 5, async () => renderThreadPage({ record, ledger, messages: rendered }), 1),
);
const html = renderThreadPage({ record, ledger, messages });
const kib = (text: string) => `${(text.length / 1024).toFixed(0)} KiB`;
console.log(`a thread of ${n} messages, messages.md ${kib(file)}, page ${kib(html)}`);
report(`validator's full reading of messages.md (${n} messages)`, validate);
report(`thread page rendered (${n} messages)`, render, 'ms', { name: 'validator reading', value: validate });
report('  of which on the event loop (messages rendered on a reader)', frame, 'ms', {
  name: 'validator reading',
  value: validate,
});

// The worst body the rules accept: 64 KiB, as many emphasis markers as allowed (docs/decisions.md).
const marked = Array.from({ length: 20 }, () => '*a* '.repeat(50).trim()).join('\n');
const worst = (marked + `\n${'plain words '.repeat(80).trim()}`.repeat(64)).slice(0, 64 * 1024 - 8).trim();
const one = [{ ...messages[0]!, body: worst }];
const verdict = checkMessagesText(renderMessagesFile(one));
if (verdict.findings.length) throw new Error(`the worst body is refused: ${JSON.stringify(verdict.findings[0])}`);
const worstValidate = median(await sample(5, async () => checkMessagesText(renderMessagesFile(one)), 1));
const worstRender = median(await sample(5, async () => renderThreadPage({ record, ledger, messages: one }), 1));
report('validator reading of the worst body (64 KiB, 2,000 markers)', worstValidate);
report('thread page of the worst body', worstRender, 'ms', { name: 'validator reading', value: worstValidate });
