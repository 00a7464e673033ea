// The hostile push corpus and its good neighbours, as readable cases. Each case turns the base
// record (corpus/record.ts) into one or more commits. The rule tests judge them in memory; the
// server tests push them with the git CLI and expect the same rule id in the `remote:` lines.

import { ruleIds, type RuleId } from '../../core/findings.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import { renderLedger } from '../../core/ledger.js';
import { renderBlock, renderMessages } from '../../core/messages/grammar.js';
import type { BindingLookup, Principal } from '../../core/principal.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { admin, jane, john, tom } from '../helpers/people.js';
import {
  LEDGER,
  MESSAGES,
  T,
  THREAD,
  append,
  appendRaw,
  commitMessage,
  correction,
  first,
  ledgerOf,
  msg,
  people,
  withLedger,
} from './record.js';

/** Who pushes: a participant principal by name, or a principal kind. */
export type Pusher = 'jane' | 'tom' | 'john' | 'admin' | 'integration' | 'site';

/** One commit of a case. */
export interface Step {
  change: (s: Snapshot) => Snapshot;
  /** Commit message; a message commit's by default. */
  message?: string;
  /** Commit time in ms; 12 January 2026 by default. */
  time?: number;
  /**
   * Make this a merge of the previous step's commit and another side: this change applied to the
   * snapshot the previous step started from (their common parent).
   */
  mergeWith?: (s: Snapshot) => Snapshot;
}

/** A case: what it does, the rule that must refuse it (null: it must be accepted), who pushes. */
export interface Case {
  name: string;
  expect: RuleId | null;
  as: Pusher;
  steps: Step[];
}

const at = (iso: string) => iso as Timestamp;
const step = (change: Step['change'], more: Omit<Step, 'change'> = {}): Step => ({ change, ...more });
const one = (
  name: string,
  expect: RuleId | null,
  change: Step['change'],
  more: Omit<Step, 'change'> & { as?: Pusher } = {},
): Case => {
  const { as = 'jane', ...rest } = more;
  return { name, expect, as, steps: [step(change, rest)] };
};

/** A block appended by hand (for structures the renderer would never write). */
const rawBlock = (body: string, over: Parameters<typeof msg>[0] = {}) =>
  '\n---\n\n' + renderBlock(msg({ body, ...over }));
const OTHER_THREAD = '20260115T101010.101Z-0d5e6f70-8192-4a3b-9c4d-5e6f708192a3';
const close = (s: Snapshot) =>
  append(
    withLedger(s, (l) => ({ ...l, status: 'closed' })),
    msg({
      type: 'system',
      body: 'Thread status changed from open to closed.',
      timestamp: at('2026-01-12T08:00:00.000Z'),
    }),
  );
const system = (body: string) => msg({ type: 'system', body, timestamp: at('2026-01-12T08:30:00.000Z') });
const newThread = (s: Snapshot, participants = [jane, tom], status: 'open' | 'closed' = 'open') =>
  s
    .set(
      `communications/${OTHER_THREAD}/ledger.yaml`,
      renderLedger({
        ...ledgerOf(s),
        thread_id: OTHER_THREAD as never,
        created_at: at('2026-01-15T10:10:10.101Z'),
        last_updated_at: at('2026-01-15T10:10:10.101Z'),
        participants,
        status,
      }),
    )
    .set(`communications/${OTHER_THREAD}/messages.md`, '# Messages\n');
const status = (fn: (text: string) => string) => (s: Snapshot) => s.edit('COORDINATION_STATUS.yaml', fn);
const lastUpdated = (iso: string) => (s: Snapshot) => withLedger(s, (l) => ({ ...l, last_updated_at: at(iso) }));
const systemBy = (p: typeof jane, body: string) =>
  msg({
    type: 'system',
    authorId: p.participant_id,
    author: p.display_name,
    body,
    timestamp: at('2026-01-12T08:30:00.000Z'),
  });

/** Every case of the corpus. */
export const cases: Case[] = [
  // Good neighbours: what a well-behaved client writes.
  one('appends a message', null, (s) => append(s, msg())),
  one('appends two messages in one commit', null, (s) =>
    append(s, msg(), msg({ timestamp: at('2026-01-12T09:05:00.000Z') })),
  ),
  one("appends a correction of the author's own message", null, (s) =>
    append(s, msg({ type: 'correction', corrects: first.id, body: 'Correction: 10 January.' })),
  ),
  one('appends ordinary clinical text that looks like markdown structure, escaped', null, (s) =>
    append(s, msg({ body: '\\## Plan\nBP <120/80\n\\---\n\n```\n---\n```' })),
  ),
  one(
    'lets an integration post for a participant',
    null,
    (s) => append(s, msg({ authorId: tom.participant_id, author: tom.display_name })),
    { as: 'integration' },
  ),
  one(
    'lets the patient post where patients may take part',
    null,
    (s) =>
      append(
        s,
        msg({ type: 'patient', authorId: john.participant_id, author: john.display_name, body: 'Thank you, doctor.' }),
      ),
    { as: 'john' },
  ),
  one('adds a participant with a system message', null, (s) =>
    append(
      withLedger(s, (l) => ({ ...l, participants: [...l.participants, admin] })),
      system('Participant added: Sam Admin (careadministrator).'),
    ),
  ),
  one('closes a thread with a system message', null, close),
  {
    name: 'archives a closed thread',
    expect: null,
    as: 'jane',
    steps: [
      step(close),
      step(
        (s) => withLedger(s, (l) => ({ ...l, status: 'archived', last_updated_at: at('2026-01-13T08:00:00.000Z') })),
        { message: commitMessage.ledger },
      ),
    ],
  },
  {
    name: 'archives a closed thread whose ledger lists its visibility keys in another order',
    expect: null,
    as: 'jane',
    steps: [
      step(close),
      step(
        (s) =>
          withLedger(s, (l) => ({ ...l, status: 'archived', last_updated_at: at('2026-01-13T08:00:00.000Z') })).edit(
            LEDGER,
            (text) => {
              const swapped = text.replace(/^( {2}sensitivity: .*\n)( {2}restricted: .*\n)/m, '$2$1');
              if (swapped === text) throw new Error('the ledger layout changed: nothing swapped');
              return swapped;
            },
          ),
        { message: commitMessage.ledger },
      ),
    ],
  },
  one('creates a second thread', null, (s) => newThread(s), { message: commitMessage.thread }),
  one('appends a body with an emoji written with its presentation selector, and a keycap', null, (s) =>
    append(s, msg({ body: 'Thank you \u2764\uFE0F see you at 1\uFE0F\u20E3' })),
  ),
  one('appends a body with keycap emoji for a digit, `#` and `*`', null, (s) =>
    append(s, msg({ body: 'Take 5\uFE0F\u20E3 tablets, dial #\uFE0F\u20E3 then *\uFE0F\u20E3' })),
  ),
  one('appends a body with accents, emoji, tabs and an indented code block', null, (s) =>
    append(s, msg({ body: 'Zoë\u2019s café visit 😀\n\n\tcolumn\tvalue\n\n    indented code' })),
  ),
  one('accepts other trailers beside Care-Location', null, (s) => append(s, msg()), {
    message:
      'coordination:update: Added message to thread\n\nCare-Location: Ward 7\nSigned-off-by: Jane Smith <jane@example.org>\n',
  }),
  one('accepts a timestamp a few minutes ahead of the server clock', null, (s) =>
    append(s, msg({ timestamp: new Date(Date.now() + 4 * 60_000).toISOString() as Timestamp })),
  ),
  one('lets a clinician create a thread in which they take part', null, (s) => newThread(s, [tom, jane]), {
    as: 'tom',
    message: commitMessage.thread,
  }),
  one(
    'suspends the record as an admin',
    null,
    status((t) => t.replace('lifecycle_state: active', 'lifecycle_state: suspended')),
    { as: 'admin', message: commitMessage.status },
  ),

  // Append-only.
  one('refuses an edit of an earlier message', ruleIds.appendOnly, (s) =>
    s.edit(MESSAGES, (t) => t.replace('increasing shortness', 'mild shortness')),
  ),
  one('refuses the deletion of an earlier message', ruleIds.appendOnly, (s) =>
    s.set(MESSAGES, renderMessages([first])),
  ),
  one('refuses reordered messages', ruleIds.appendOnly, (s) => s.set(MESSAGES, renderMessages([correction, first]))),
  one('refuses a truncated file', ruleIds.appendOnly, (s) => s.edit(MESSAGES, (t) => t.slice(0, -10) + '\n')),
  {
    name: 'refuses a deletion that a later commit of the same push re-adds',
    expect: ruleIds.appendOnly,
    as: 'jane',
    steps: [
      step((s) => s.set(MESSAGES, renderMessages([first]))),
      step((s) => s.set(MESSAGES, renderMessages([first, correction]))),
    ],
  },
  {
    name: 'refuses an edit that a later commit of the same push restores',
    expect: ruleIds.appendOnly,
    as: 'jane',
    steps: [
      step((s) => s.edit(MESSAGES, (t) => t.replace('X-ray', 'CT scan'))),
      step((s) => s.edit(MESSAGES, (t) => t.replace('CT scan', 'X-ray'))),
    ],
  },
  one('refuses the deletion of messages.md', ruleIds.appendOnly, (s) => s.delete(MESSAGES)),
  one('refuses the deletion of ledger.yaml', ruleIds.appendOnly, (s) => s.delete(LEDGER)),
  one('refuses a renamed messages.md', ruleIds.appendOnly, (s) => s.rename(MESSAGES, `${T}/thread.md`)),
  one('refuses a renamed ledger.yaml', ruleIds.appendOnly, (s) => s.rename(LEDGER, `${T}/ledger.yml`)),
  one('refuses the deletion of a thread folder', ruleIds.appendOnly, (s) => s.delete(T)),
  one('refuses a renamed thread folder', ruleIds.appendOnly, (s) => s.rename(T, `communications/${OTHER_THREAD}`)),
  one('refuses appended text that is not whole messages', ruleIds.appendOnly, (s) =>
    appendRaw(s, 'P.S. one more thing\n'),
  ),
  one('refuses a message block without its Type field', ruleIds.messageFormat, (s) =>
    appendRaw(s, rawBlock('No type given.').replace(/^\*\*Type:\*\*.*\n/m, '')),
  ),

  // Tree layout and modes.
  one('refuses a symbolic link', ruleIds.treeMode, (s) => s.set(MESSAGES, s.text(MESSAGES), '120000')),
  one('refuses an executable file', ruleIds.treeMode, (s) => s.set(LEDGER, s.text(LEDGER), '100755')),
  one('refuses a submodule', ruleIds.treeLayout, (s) => s.set('vendor', 'ab'.repeat(20), '160000')),
  one('refuses .gitattributes', ruleIds.treeLayout, (s) => s.set('.gitattributes', '*.md text eol=crlf\n')),
  one('refuses .gitmodules', ruleIds.treeLayout, (s) =>
    s.set('.gitmodules', '[submodule "x"]\n\tpath = x\n\turl = ../x\n'),
  ),
  one('refuses an unknown file in a thread', ruleIds.treeLayout, (s) => s.set(`${T}/notes.txt`, 'notes\n')),
  one('refuses a case variant Messages.md', ruleIds.treeLayout, (s) => s.set(`${T}/Messages.md`, '# Messages\n')),
  one('refuses a folder that is not named by a thread id', ruleIds.treeLayout, (s) =>
    s.set('communications/notes/messages.md', '# Messages\n'),
  ),
  one('refuses an oversize messages.md before reading it', ruleIds.blobSize, (s) =>
    s.edit(MESSAGES, (t) => t + '\n---\n\n' + 'x'.repeat(16 * 1024 * 1024)),
  ),
  one('refuses an oversize ledger.yaml before reading it', ruleIds.blobSize, (s) =>
    s.edit(LEDGER, (t) => t + '#'.repeat(64 * 1024) + '\n'),
  ),

  // Forged structure and characters in appended messages.
  ...Object.entries({
    'an ATX `## Message` heading': 'Fine.\n\n## Message\n\n**ID:** `8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d`',
    'a setext `Message` heading': 'Message\n-------',
    'a `##\\tMessage` heading': '##\tMessage',
    'an indented `## Message` heading': '   ## Message',
    'a closed `## Message ##` heading': '## Message ##',
    '`**ID:**` field lines': '**ID:** `8b2f6a5c-3d1e-4a9b-8c7f-6d5e4a3b2c1d`  \n**Type:** clinician',
    'an unclosed code fence': '```\ncode',
    'an unclosed `<!--` comment': 'hidden\n\n<!-- text',
    'raw HTML': 'BP <span hidden>not</span> fine',
  }).map(([what, body]) =>
    one(`refuses ${what} in a body`, ruleIds.messageAmbiguous, (s) => appendRaw(s, rawBlock(body))),
  ),
  ...Object.entries({
    'a CR': '\r',
    'a NUL': '\0',
    'a BOM': '\uFEFF',
    'a bidi override': '\u202E',
    'a zero-width space': '\u200B',
  }).map(([what, ch]) =>
    one(`refuses ${what} in a body`, ruleIds.messageChars, (s) => appendRaw(s, rawBlock(`Take 5${ch}0 mg`))),
  ),
  ...Object.entries({
    'Unicode tag characters (hidden text)': 'Fine\u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}',
    'a word joiner': 'Take 5\u20600 mg',
    'a soft hyphen': 'Take 5\u00AD0 mg',
    'a run of variation selectors': 'Fine \u2764\uFE0F\uFE0F\uFE0E',
    'only no-break spaces': '\u00A0\u00A0',
    'only a Hangul filler': '\u3164',
    'a bidi override written as a character reference': 'Take 5&#x202E;0 mg',
    'only `&nbsp;`': '&nbsp;',
    'only a private-use character': '\uE000',
    'an unassigned code point': 'Take 5\u03780 mg',
    'a digit with an emoji presentation selector but no keycap': 'Take 5\uFE0F0 mg',
  }).map(([what, body]) => one(`refuses ${what} in a body`, ruleIds.messageChars, (s) => appendRaw(s, rawBlock(body)))),
  one('refuses a display name that shows nothing (a braille blank)', ruleIds.ledgerSchema, (s) =>
    append(
      withLedger(s, (l) => ({ ...l, participants: [...l.participants, { ...admin, display_name: '\u2800' }] })),
      system('Participant added.'),
    ),
  ),
  one('refuses an invisible character in a display name', ruleIds.ledgerFormat, (s) =>
    append(
      withLedger(s, (l) => ({ ...l, participants: [...l.participants, { ...admin, display_name: 'Sam\u00ADAdmin' }] })),
      system('Participant added: Sam Admin (careadministrator).'),
    ),
  ),
  one('refuses a private-use character in a display name', ruleIds.ledgerFormat, (s) =>
    append(
      withLedger(s, (l) => ({ ...l, participants: [...l.participants, { ...admin, display_name: 'Sam \uF8FF' }] })),
      system('Participant added: Sam Admin (careadministrator).'),
    ),
  ),
  ...(['body', 'name', 'id'] as const).map((where) =>
    one(`refuses invalid UTF-8 in the ${where}`, ruleIds.messageChars, (s) => {
      const text = rawBlock('Marker body', {
        author: 'Marker Name',
        id: '0badc0de-0000-4000-8000-000000000000' as MessageId,
      });
      const marker = { body: 'Marker body', name: 'Marker Name', id: '0badc0de' }[where];
      const [before, after] = text.split(marker) as [string, string];
      return s.set(
        MESSAGES,
        Buffer.concat([Buffer.from(s.text(MESSAGES) + before), Buffer.from([0xc3, 0x28]), Buffer.from(after)]),
      );
    }),
  ),
  one('refuses a body made to be slow to read (thousands of emphasis markers)', ruleIds.messageLimits, (s) =>
    appendRaw(s, rawBlock('*a'.repeat(20_000).replace(/(.{8000})(?=.)/g, '$1\n'))),
  ),
  one('refuses deeply nested lists', ruleIds.messageLimits, (s) =>
    appendRaw(s, rawBlock(Array.from({ length: 40 }, (_, i) => ' '.repeat(2 * i) + '- x').join('\n'))),
  ),

  // Message rules.
  one('refuses a message id used before', ruleIds.messageId, (s) => append(s, msg({ id: first.id }))),
  one(
    'refuses an author who is not a participant',
    ruleIds.messageAuthor,
    (s) => append(s, msg({ authorId: admin.participant_id, author: admin.display_name, type: 'careadministrator' })),
    { as: 'integration' },
  ),
  one('refuses an author name that differs from the ledger', ruleIds.messageAuthor, (s) =>
    append(s, msg({ author: 'Dr J. Smith' })),
  ),
  one("refuses a type that is not the author's role", ruleIds.messageType, (s) => append(s, msg({ type: 'patient' }))),
  one('refuses a system message in a commit that changes no ledger', ruleIds.messageType, (s) =>
    append(s, system('Participant added: nobody.')),
  ),
  one('refuses a correction that points nowhere', ruleIds.messageCorrection, (s) =>
    append(s, msg({ type: 'correction', corrects: '00000000-0000-4000-8000-000000000000' as MessageId })),
  ),
  one(
    "refuses a correction of someone else's message",
    ruleIds.messageCorrection,
    (s) =>
      append(
        s,
        msg({ type: 'correction', corrects: first.id, authorId: tom.participant_id, author: tom.display_name }),
      ),
    { as: 'tom' },
  ),
  one('refuses a message dated before the thread was created', ruleIds.messageTimestamp, (s) =>
    append(s, msg({ timestamp: at('2025-12-31T23:59:59.999Z') })),
  ),
  one('refuses a message timestamp far in the future', ruleIds.messageTimestamp, (s) =>
    append(s, msg({ timestamp: at('2099-01-01T00:00:00.000Z') })),
  ),
  one("refuses a message newer than the ledger's last_updated_at", ruleIds.ledgerLastUpdated, (s) =>
    s.edit(MESSAGES, (t) => t + '\n---\n\n' + renderBlock(msg())),
  ),
  one('refuses a participant posting as another', ruleIds.whoAuthor, (s) => append(s, msg()), { as: 'tom' }),
  {
    name: 'refuses a patient posting where patients may not take part',
    expect: ruleIds.patientParticipation,
    as: 'integration',
    steps: [
      step(
        (s) =>
          append(
            withLedger(s, (l) => ({ ...l, policies: { ...l.policies, allow_patient_participation: false } })),
            system('Policy changed: allow_patient_participation true → false.'),
          ),
        { message: commitMessage.ledger },
      ),
      step((s) => append(s, msg({ type: 'patient', authorId: john.participant_id, author: john.display_name }))),
    ],
  },
  {
    name: 'refuses a message in a closed thread',
    expect: ruleIds.threadNotOpen,
    as: 'jane',
    steps: [step(close), step((s) => append(s, msg({ timestamp: at('2026-01-12T10:00:00.000Z') })))],
  },
  {
    name: 'refuses a message in an archived thread',
    expect: ruleIds.threadNotOpen,
    as: 'jane',
    steps: [
      step((s) =>
        append(
          withLedger(s, (l) => ({ ...l, status: 'archived' })),
          system('Thread status changed from open to archived.'),
        ),
      ),
      step((s) => append(s, msg({ timestamp: at('2026-01-12T10:00:00.000Z') }))),
    ],
  },

  // Ledger rules.
  ...Object.entries({
    'a YAML alias bomb': (t: string) => t + 'x: &a ["lol","lol"]\ny: &b [*a,*a]\nz: [*b,*b]\n',
    'a YAML tag': (t: string) => t.replace('status: open', 'status: !!str open'),
    'a %YAML 1.1 directive': (t: string) => '%YAML 1.1\n---\n' + t,
    'a duplicate key': (t: string) => t + 'status: closed\n',
    'a bidi override written as an escape in a display name': (t: string) =>
      t.replace(/display_name: (.*)\n/, (_m, n: string) => `display_name: "${n.replace(/^"|"$/g, '')}\\u202e"\n`),
  }).map(([what, fn]) => one(`refuses ${what} in a ledger`, ruleIds.ledgerFormat, (s) => s.edit(LEDGER, fn))),
  one('refuses a __proto__ key in a ledger', ruleIds.ledgerSchema, (s) =>
    s.edit(LEDGER, (t) => t + '__proto__:\n  polluted: true\n'),
  ),
  one('refuses an extra ledger field', ruleIds.ledgerSchema, (s) =>
    s.edit(LEDGER, (t) => t + 'read_by:\n  - 4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12\n'),
  ),
  one('refuses a thread_id that is not the folder name', ruleIds.ledgerIdentity, (s) =>
    withLedger(s, (l) => ({ ...l, thread_id: OTHER_THREAD as never })),
  ),
  one('refuses a changed created_at', ruleIds.ledgerIdentity, (s) =>
    withLedger(s, (l) => ({ ...l, created_at: at('2026-01-10T00:00:00.000Z') })),
  ),
  one(
    'refuses last_updated_at going back',
    ruleIds.ledgerLastUpdated,
    (s) => withLedger(s, (l) => ({ ...l, last_updated_at: at('2026-01-11T15:00:00.000Z') })),
    { message: commitMessage.ledger },
  ),
  {
    name: 'refuses reopening a closed thread',
    expect: ruleIds.ledgerTransition,
    as: 'jane',
    steps: [
      step(close),
      step((s) => withLedger(s, (l) => ({ ...l, status: 'open' })), { message: commitMessage.ledger }),
    ],
  },
  {
    name: 'refuses any change to an archived thread',
    expect: ruleIds.ledgerFrozen,
    as: 'jane',
    steps: [
      step((s) =>
        append(
          withLedger(s, (l) => ({ ...l, status: 'archived' })),
          system('Archived.'),
        ),
      ),
      step((s) => withLedger(s, (l) => ({ ...l, visibility: { ...l.visibility, restricted: true } })), {
        message: commitMessage.ledger,
      }),
    ],
  },
  {
    name: 'refuses a closed thread changing anything but its status',
    expect: ruleIds.ledgerFrozen,
    as: 'jane',
    steps: [
      step(close),
      step((s) => withLedger(s, (l) => ({ ...l, participants: [...l.participants, admin] })), {
        message: commitMessage.ledger,
      }),
    ],
  },
  one(
    'refuses a ledger change without a system message',
    ruleIds.ledgerSystemMessage,
    (s) => withLedger(s, (l) => ({ ...l, participants: [...l.participants, admin] })),
    { message: commitMessage.ledger },
  ),
  one('refuses a new thread that is not open', ruleIds.ledgerTransition, (s) => newThread(s, [jane], 'closed'), {
    message: commitMessage.thread,
  }),
  one(
    'refuses a patient changing a ledger',
    ruleIds.whoThread,
    (s) =>
      append(
        withLedger(s, (l) => ({ ...l, visibility: { ...l.visibility, restricted: true } })),
        system('Visibility changed.'),
      ).edit(MESSAGES, (t) =>
        t.replaceAll(
          `\`${jane.participant_id}\`  \n**Author:** ${jane.display_name}\n\nVisibility`,
          `\`${john.participant_id}\`  \n**Author:** ${john.display_name}\n\nVisibility`,
        ),
      ),
    { as: 'john', message: commitMessage.ledger },
  ),
  one('refuses a patient creating a thread', ruleIds.whoThread, (s) => newThread(s, [jane, john]), {
    as: 'john',
    message: commitMessage.thread,
  }),
  one('refuses a clinician creating a thread without taking part', ruleIds.whoThread, (s) => newThread(s, [jane]), {
    as: 'tom',
    message: commitMessage.thread,
  }),

  // Record status.
  one(
    'refuses a changed coordination_id',
    ruleIds.statusIdentity,
    status((t) => t.replace(/coordination_id: \S+/, 'coordination_id: 00000000-0000-4000-8000-000000000000')),
    { as: 'admin', message: commitMessage.status },
  ),
  one(
    'refuses a changed clinical_id',
    ruleIds.statusIdentity,
    status((t) => t.replace(/clinical_id: \S+/, 'clinical_id: 00000000-0000-4000-8000-000000000000')),
    { as: 'admin', message: commitMessage.status },
  ),
  one(
    'refuses a status change by a participant',
    ruleIds.whoStatus,
    status((t) => t.replace('lifecycle_state: active', 'lifecycle_state: suspended')),
    { message: commitMessage.status },
  ),
  one(
    'refuses a field the status file does not have (a read receipt)',
    ruleIds.statusSchema,
    status((t) => t + 'read_by: everyone\n'),
    { as: 'admin', message: commitMessage.status },
  ),
  one(
    'refuses a tag in the status file',
    ruleIds.statusFormat,
    status((t) => t.replace('record_open: true', 'record_open: !!bool true')),
    { as: 'admin', message: commitMessage.status },
  ),
  {
    name: 'refuses a change while the record is not modifiable',
    expect: ruleIds.recordFrozen,
    as: 'admin',
    steps: [
      step(
        status((t) => t.replace('record_modifiable: true', 'record_modifiable: false')),
        { message: commitMessage.status },
      ),
      step((s) => append(s, msg())),
    ],
  },
  {
    name: 'refuses a new message while the record is not open',
    expect: ruleIds.recordClosed,
    as: 'admin',
    steps: [
      step(
        status((t) => t.replace('record_open: true', 'record_open: false')),
        { message: commitMessage.status },
      ),
      step((s) => append(s, msg())),
    ],
  },

  // Commits.
  one('refuses a free-form commit subject', ruleIds.commitFormat, (s) => append(s, msg()), {
    message: 'Add message\n\nCare-Location: Ward 7\n',
  }),
  one('refuses a commit without Care-Location', ruleIds.commitFormat, (s) => append(s, msg()), {
    message: 'coordination:update: Added message to thread\n\nSigned-off-by: Jane <jane@example.org>\n',
  }),
  one('refuses `create` for a commit that creates nothing', ruleIds.commitAction, (s) => append(s, msg()), {
    message: commitMessage.thread,
  }),
  one('refuses a commit time far in the future', ruleIds.commitTime, (s) => append(s, msg()), {
    time: Date.UTC(2099, 0, 1),
  }),
  (() => {
    const right = msg({ body: 'Right.', timestamp: at('2026-01-12T09:01:00.000Z') });
    return {
      name: 'refuses a merge commit that is not the deterministic sync merge',
      expect: ruleIds.merge,
      as: 'site' as const,
      steps: [
        step((s) => append(s, msg({ body: 'Left.' }))),
        step((s) => append(s, right), { mergeWith: (s) => append(s, right) }),
      ],
    };
  })(),
  {
    name: "refuses a merge made with -s ours that drops the other side's message",
    expect: ruleIds.merge,
    as: 'site',
    steps: [
      step((s) => append(s, msg({ body: 'Ours.' }))),
      step((s) => s, { mergeWith: (s) => append(s, msg({ body: 'Theirs, dropped.' })) }),
    ],
  },
  // Merges reach main only through sync between sites: from anyone else a merge is refused
  // whatever it holds (test/server/mergeBackdoor.test.ts pushes the deterministic ones).
  ...(['jane', 'john', 'admin', 'integration'] as const).map((as) => {
    const by =
      as === 'john' ? { type: 'patient' as const, authorId: john.participant_id, author: john.display_name } : {};
    const theirs = msg({ ...by, body: 'Theirs.', timestamp: at('2026-01-12T09:01:00.000Z') });
    return {
      name: `refuses any merge commit pushed by ${as === 'jane' || as === 'john' ? `the participant ${as}` : `an ${as} principal`}`,
      expect: ruleIds.commitParents,
      as,
      steps: [
        step((s) => append(s, msg({ ...by, body: 'Ours.' }))),
        step((s) => append(s, theirs), { mergeWith: (s) => append(s, theirs) }),
      ],
    };
  }),

  // last_updated_at: bounded by the clock when it moves; moved without a message, a ledger change.
  one('refuses last_updated_at far in the future', ruleIds.ledgerLastUpdated, lastUpdated('9999-12-31T23:59:59.999Z'), {
    message: commitMessage.ledger,
  }),
  one('refuses a message commit that moves last_updated_at far ahead', ruleIds.ledgerLastUpdated, (s) =>
    lastUpdated('2099-01-01T00:00:00.000Z')(append(s, msg())),
  ),
  one(
    'refuses a patient moving last_updated_at without a message',
    ruleIds.whoThread,
    lastUpdated('2026-01-12T09:00:00.000Z'),
    { as: 'john', message: commitMessage.ledger },
  ),
  one(
    'lets a clinician of the thread move last_updated_at without a message',
    null,
    lastUpdated('2026-01-12T09:00:00.000Z'),
    { message: commitMessage.ledger },
  ),

  // System messages tell a change made by a clinician, careadministrator or system participant of
  // the thread as it was, whoever pushes them.
  ...(['integration', 'admin', 'site'] as const).map((as) =>
    one(
      `refuses a system message by the patient that closes the thread, pushed by ${as === 'admin' ? 'an admin' : `an ${as}`} principal`,
      ruleIds.messageType,
      (s) =>
        append(
          withLedger(s, (l) => ({ ...l, status: 'closed' })),
          systemBy(john, 'Thread status changed from open to closed.'),
        ),
      { as, message: commitMessage.ledger },
    ),
  ),
  one(
    'refuses a system message by a participant the same commit adds',
    ruleIds.messageAuthor,
    (s) =>
      append(
        withLedger(s, (l) => ({ ...l, participants: [...l.participants, admin] })),
        systemBy(admin, 'Participant added: Sam Admin (careadministrator).'),
      ),
    { as: 'integration', message: commitMessage.ledger },
  ),
  one("lets an integration close a thread with a clinician's system message", null, close, {
    as: 'integration',
    message: commitMessage.ledger,
  }),

  // Ledger entries of ids bound to participant principals carry those principals' role and name.
  one(
    "refuses a thread listing a participant principal's id under another name",
    ruleIds.whoParticipant,
    (s) => newThread(s, [{ ...tom, display_name: 'Dr Jane Smith' }, jane]),
    { as: 'tom', message: commitMessage.thread },
  ),
  one(
    "refuses a thread listing a participant principal's id under another role, pushed by an integration",
    ruleIds.whoParticipant,
    (s) => newThread(s, [jane, { ...john, role: 'clinician' }]),
    { as: 'integration', message: commitMessage.thread },
  ),
  one(
    'refuses renaming a bound participant in a ledger',
    ruleIds.whoParticipant,
    (s) =>
      append(
        withLedger(s, (l) => ({
          ...l,
          participants: l.participants.map((p) =>
            p.participant_id === tom.participant_id ? { ...p, display_name: 'Dr Thomas Patel' } : p,
          ),
        })),
        system('Participant changed: Dr Tom Patel.'),
      ),
    { message: commitMessage.ledger },
  ),
  one(
    'lets a thread list an id no principal holds, under any name',
    null,
    (s) => newThread(s, [jane, { ...admin, display_name: 'Sam Admin (ward 7)' }]),
    { message: commitMessage.thread },
  ),
];

/** The thread every case works on, for tests that need it. */
export { THREAD };

/** The participant principals of the corpus (jane, tom, john), as the server's rule context sees them. */
export const bindings: BindingLookup = (id) => {
  const who = Object.entries(people).find(([, p]) => p.participant_id === id);
  return who ? [{ name: who[0], role: who[1].role, displayName: who[1].display_name }] : [];
};

/** The principal the rules see for a pusher. */
export function principalFor(p: Pusher): Principal {
  if (p === 'jane' || p === 'tom' || p === 'john') {
    const who = { jane, tom, john }[p];
    return {
      kind: 'participant',
      name: p,
      participantId: who.participant_id,
      role: who.role,
      displayName: who.display_name,
    };
  }
  return { kind: p, name: p };
}
