// Pushes from a participant's view, as data: good neighbours and hostile ones, each with the rule
// that must refuse it, either in the translation onto main (before any rule reads main's hidden
// parts) or in the rules that then judge the translated commits as if pushed to main. The scene:
// thread 1 with jane, john and tom; thread 2 with jane and tom (hidden from john); thread 3 from
// which john was removed (frozen for him, hidden from tom). After the pusher fetched its view, main
// moved out of its sight. The later server tests push the same cases with the git CLI.

import { renderCommitMessage, subjects } from '../../core/commitMessage.js';
import { ruleIds, type RuleId } from '../../core/findings.js';
import type { MessageId, Timestamp } from '../../core/ids.js';
import { renderLedger, type Ledger } from '../../core/ledger.js';
import { appendMessages, renderMessages, type Message } from '../../core/messages/grammar.js';
import { readStrictYaml } from '../../core/yaml.js';
import type { Snapshot } from '../helpers/snapshot.js';
import { cast, threadId, type Who } from './history.js';

/** Who pushes from its view. */
export type ViewPusher = 'john' | 'tom';

/** One commit of a push: a change of the pusher's working tree, its message and extra headers. */
export interface ViewStep {
  change: (s: Snapshot) => Snapshot;
  message?: string;
  headers?: Array<[string, string]>;
}

/** A push from a view: what it does, who pushes, and what must refuse it (null: accepted). */
export interface ViewPushCase {
  name: string;
  as: ViewPusher;
  expect: { translation: RuleId } | { rules: RuleId } | null;
  steps: ViewStep[];
  /** `stale`: main moved in the pusher's sight after its fetch; `merge`: the last commit merges a second line. */
  shape?: 'stale' | 'merge';
}

const PLACE = 'Oxford University Hospitals';
export const messageCommit = renderCommitMessage(subjects.addMessage, PLACE);
const ledgerCommit = renderCommitMessage(subjects.updateLedger, PLACE);
const threadCommit = renderCommitMessage(subjects.createThread, PLACE);
const file = (n: number, name: string) => `communications/${threadId(n)}/${name}`;
let made = 0;

/** A message written in the view on 12 January 2026. */
function message(who: Who, over: Partial<Message> = {}): Message {
  const p = cast[who];
  made++;
  const ts = new Date(Date.UTC(2026, 0, 12, 9, 0, made % 60)).toISOString() as Timestamp;
  return {
    id: `00000000-0000-4000-a000-${made.toString(16).padStart(12, '0')}` as MessageId,
    type: p.role,
    timestamp: ts,
    authorId: p.participant_id,
    author: p.display_name,
    body: `Written in a view (${made}).`,
    ...over,
  };
}

function ledgerOf(s: Snapshot, n: number): Ledger {
  const read = readStrictYaml(s.text(file(n, 'ledger.yaml')));
  if (!read.ok) throw new Error('unreadable ledger');
  return read.value as Ledger;
}

/** Append messages to thread n, moving last_updated_at as a well-behaved client does. */
export function append(n: number, ...messages: Message[]): (s: Snapshot) => Snapshot {
  return (s) =>
    s
      .edit(file(n, 'messages.md'), (x) => appendMessages(x, messages))
      .set(
        file(n, 'ledger.yaml'),
        renderLedger({ ...ledgerOf(s, n), last_updated_at: messages[messages.length - 1]!.timestamp }),
      );
}

const say = (n: number, who: Who) => append(n, message(who));
const NEW_THREAD = 90;

/** Every case. */
export const viewPushCases: ViewPushCase[] = [
  // Good neighbours.
  {
    name: 'a patient appends a message to a thread he is in, while main moved out of his sight',
    as: 'john',
    expect: null,
    steps: [{ change: say(1, 'john') }],
  },
  {
    name: 'two commits in one push',
    as: 'john',
    expect: null,
    steps: [{ change: say(1, 'john') }, { change: say(1, 'john') }],
  },
  {
    name: 'a clinician creates a thread he takes part in',
    as: 'tom',
    expect: null,
    steps: [
      {
        message: threadCommit,
        change: (s) => {
          const m = message('tom');
          const ledger: Ledger = {
            thread_id: threadId(NEW_THREAD),
            status: 'open',
            created_at: new Date(Date.UTC(2026, 0, 11, 9, 1, 30)).toISOString() as Timestamp,
            last_updated_at: m.timestamp,
            participants: [cast.tom, cast.jane],
            visibility: { sensitivity: 'standard', restricted: false },
            policies: { allow_patient_participation: true, allow_external_organisations: true },
          };
          return s
            .set(file(NEW_THREAD, 'ledger.yaml'), renderLedger(ledger))
            .set(file(NEW_THREAD, 'messages.md'), renderMessages([m]));
        },
      },
    ],
  },
  {
    name: 'a clinician leaves a thread with a system message: his view keeps it as he left it',
    as: 'tom',
    expect: null,
    steps: [
      {
        message: ledgerCommit,
        change: (s) => {
          const m = message('tom', { type: 'system', body: 'Participant removed: Dr Tom Patel (clinician).' });
          const l = ledgerOf(s, 1);
          return s
            .edit(file(1, 'messages.md'), (x) => appendMessages(x, [m]))
            .set(
              file(1, 'ledger.yaml'),
              renderLedger({
                ...l,
                last_updated_at: m.timestamp,
                participants: l.participants.filter((p) => p.participant_id !== cast.tom.participant_id),
              }),
            );
        },
      },
    ],
  },
  // Hostile: what cannot be translated.
  {
    name: 'creates a folder under the id of a thread out of sight',
    as: 'john',
    expect: { translation: ruleIds.viewPath },
    steps: [
      {
        message: threadCommit,
        change: (s) =>
          s.set(file(2, 'messages.md'), '# Messages\n').set(file(2, 'ledger.yaml'), s.text(file(1, 'ledger.yaml'))),
      },
    ],
  },
  {
    name: 'writes into a thread he was removed from',
    as: 'john',
    expect: { translation: ruleIds.viewPath },
    steps: [{ change: say(3, 'john') }],
  },
  {
    name: 'deletes a thread he was removed from',
    as: 'john',
    expect: { translation: ruleIds.viewPath },
    steps: [{ change: (s) => s.delete(`communications/${threadId(3)}`) }],
  },
  {
    name: 'replaces the communications folder with a file',
    as: 'john',
    expect: { translation: ruleIds.viewPath },
    steps: [{ change: (s) => s.delete('communications').set('communications', 'x') }],
  },
  {
    name: 'forges a merge',
    as: 'john',
    expect: { translation: ruleIds.commitParents },
    steps: [{ change: say(1, 'john') }],
    shape: 'merge',
  },
  {
    name: 'pushes on a view that moved since he fetched it',
    as: 'john',
    expect: { translation: ruleIds.refFastForward },
    steps: [{ change: say(1, 'john') }],
    shape: 'stale',
  },
  {
    name: 'pushes a commit that changes nothing',
    as: 'john',
    expect: { translation: ruleIds.viewExact },
    steps: [{ change: (s) => s }],
  },
  {
    name: 'pushes a commit with a header other than gpgsig',
    as: 'john',
    expect: { translation: ruleIds.viewExact },
    steps: [{ change: say(1, 'john'), headers: [['x-origin', 'elsewhere']] }],
  },
  {
    name: 'creates a thread he does not take part in (it would leave his view)',
    as: 'tom',
    expect: { translation: ruleIds.viewExact },
    steps: [
      {
        message: threadCommit,
        change: (s) => {
          const m = message('jane');
          const ledger: Ledger = {
            thread_id: threadId(NEW_THREAD),
            status: 'open',
            created_at: new Date(Date.UTC(2026, 0, 11, 9, 1, 30)).toISOString() as Timestamp,
            last_updated_at: m.timestamp,
            participants: [cast.jane],
            visibility: { sensitivity: 'standard', restricted: false },
            policies: { allow_patient_participation: true, allow_external_organisations: true },
          };
          return s
            .set(file(NEW_THREAD, 'ledger.yaml'), renderLedger(ledger))
            .set(file(NEW_THREAD, 'messages.md'), renderMessages([m]));
        },
      },
    ],
  },
  // Hostile but translatable: the rules refuse it on main, as if pushed there by the same principal.
  {
    name: 'deletes a thread he is in',
    as: 'john',
    expect: { rules: ruleIds.appendOnly },
    steps: [{ change: (s) => s.delete(`communications/${threadId(1)}`) }],
  },
  {
    name: 'edits an earlier message',
    as: 'john',
    expect: { rules: ruleIds.appendOnly },
    steps: [{ change: (s) => s.edit(file(1, 'messages.md'), (x) => x.replace('Note', 'Edited')) }],
  },
  {
    name: 'writes as someone else',
    as: 'john',
    expect: { rules: ruleIds.whoAuthor },
    steps: [{ change: say(1, 'jane') }],
  },
  {
    name: 'adds a file at the root',
    as: 'john',
    expect: { rules: ruleIds.treeLayout },
    steps: [{ change: (s) => s.set('README.md', 'hello\n') }],
  },
  {
    name: 'changes the record status',
    as: 'john',
    expect: { rules: ruleIds.whoStatus },
    steps: [
      {
        message: renderCommitMessage(subjects.updateStatus, PLACE),
        change: (s) => s.edit('COORDINATION_STATUS.yaml', (x) => x.replace('record_open: true', 'record_open: false')),
      },
    ],
  },
];
