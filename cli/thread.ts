// `ccr thread create|list|show|update`: threads of the record in the current working copy.

import type { ThreadStatus } from '../core/vocabulary.js';
import type { Message } from '../core/messages/grammar.js';
import type { Thread } from '../service/readThread.js';
import type { LedgerUpdate } from '../service/updateThreadLedger.js';
import { out, str, UsageError, type Command } from './args.js';
import { bool, openWorkingCopy, parseParticipants, readBody } from './workingCopy.js';

/** A message as shown in a conversation, with its corrections beside it. */
function showMessage(m: Message, corrections: Message[], indent = ''): string {
  const when = m.timestamp.replace('T', ' ').slice(0, 16);
  const lines = [
    `${indent}[${when}] ${m.author} (${m.type}) ${m.id}`,
    ...m.body.split('\n').map((l) => `${indent}  ${l}`),
  ];
  for (const c of corrections)
    lines.push(
      `${indent}  ↳ corrected ${c.timestamp.replace('T', ' ').slice(0, 16)} by ${c.author} (${c.id}):`,
      ...c.body.split('\n').map((l) => `${indent}    ${l}`),
    );
  return lines.join('\n');
}

/** The conversation of a thread for a person: corrections beside what they correct. */
export function showThread(t: Thread): string {
  const l = t.ledger;
  const byTarget = new Map<string, Message[]>();
  for (const m of t.messages) if (m.corrects) byTarget.set(m.corrects, [...(byTarget.get(m.corrects) ?? []), m]);
  const head = [
    `Thread ${t.id} (${l.status}, ${l.visibility.sensitivity}${l.visibility.restricted ? ', restricted' : ''})`,
    `Participants: ${l.participants.map((p) => `${p.display_name} (${p.role})`).join(', ')}`,
    `Last updated: ${l.last_updated_at}`,
  ];
  const ids = new Set(t.messages.map((m) => m.id));
  // A correction is shown under the message it corrects, not again in its own place.
  const body = t.messages
    .filter((m) => !(m.corrects && ids.has(m.corrects)))
    .map((m) => showMessage(m, byTarget.get(m.id) ?? []));
  return [head.join('\n'), ...(body.length ? body : ['(no messages)'])].join('\n\n');
}

export const thread: Command = {
  help: `ccr thread create [--participant ID:ROLE:NAME]… [--message TEXT | --file F | - | --edit]   (you are always a participant)
ccr thread list [--status open|closed|archived|all]                                   (archived hidden by default)
ccr thread show <thread-id>
ccr thread update <thread-id> [--add-participant ID:ROLE:NAME]… [--remove-participant ID]…
                  [--status closed|archived] [--sensitivity standard|confidential|restricted] [--restricted true|false]
                  [--allow-patient-participation true|false] [--allow-external-organisations true|false]

Every change is one commit, judged locally by the same rules as the server; push it with ccr push.

Example:
  ccr thread create --participant a1d3c5e7-f9b2-4680-b2d4-f6e8c0a9d1e3:clinician:"Dr Tom Patel" --message "Please review the chest X-ray."
  ccr thread update 20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000 --status closed`,
  options: {
    participant: { type: 'string', multiple: true },
    message: { type: 'string', short: 'm' },
    file: { type: 'string' },
    edit: { type: 'boolean' },
    status: { type: 'string' },
    'care-location': { type: 'string' },
    'add-participant': { type: 'string', multiple: true },
    'remove-participant': { type: 'string', multiple: true },
    sensitivity: { type: 'string' },
    restricted: { type: 'string' },
    'allow-patient-participation': { type: 'string' },
    'allow-external-organisations': { type: 'string' },
  },
  async run(v, [action, id]) {
    const json = v['json'] === true;
    const { svc, me } = await openWorkingCopy(v['care-location'] as string | undefined, {
      writes: action !== 'list' && action !== 'show',
    });
    if (action === 'list') {
      const s = v['status'] as string | undefined;
      const list = await svc.listThreads(
        s === 'all' ? { includeArchived: true } : s ? { status: s as ThreadStatus } : {},
      );
      out(
        json,
        list,
        list
          .map(
            (t) =>
              `${t.id}  ${t.status.padEnd(8)}  ${t.last_updated_at}  ${t.participants.map((p) => p.display_name).join(', ')}`,
          )
          .join('\n') || '(no threads)',
      );
      return 0;
    }
    if (action === 'create') {
      const others = parseParticipants(v['participant']).filter((p) => p.participant_id !== me.participant.id);
      const participants = [
        { participant_id: me.participant.id, role: me.participant.role, display_name: me.participant.name },
        ...others,
      ];
      const body =
        v['message'] !== undefined || v['file'] !== undefined || v['edit'] || !process.stdin.isTTY
          ? readBody(v)
          : undefined;
      const threadId = await svc.createThread(
        me.author,
        me.careLocation,
        participants,
        body !== undefined && body.trim() !== ''
          ? { author: { id: me.participant.id, name: me.participant.name }, body }
          : undefined,
      );
      out(
        json,
        { thread_id: threadId, commit: await svc.record.repo.head() },
        `created thread ${threadId} (one commit; push it with ccr push)`,
      );
      return 0;
    }
    if (!id) throw new UsageError(`ccr thread ${action ?? '<action>'} needs a thread id`);
    if (action === 'show') {
      const t = await svc.readThread(id);
      out(json, t, showThread(t));
      return 0;
    }
    if (action === 'update') {
      const update: LedgerUpdate = { by: { id: me.participant.id, name: me.participant.name } };
      const add = parseParticipants(v['add-participant']);
      if (add.length) update.addParticipants = add;
      if (v['remove-participant']) update.removeParticipants = v['remove-participant'] as string[];
      if (v['status']) update.status = v['status'] as ThreadStatus;
      const restricted = bool(v['restricted'], 'restricted');
      const sensitivity = str(v['sensitivity']);
      if (sensitivity || restricted !== undefined)
        update.visibility = {
          ...(sensitivity ? { sensitivity } : {}),
          ...(restricted !== undefined ? { restricted } : {}),
        };
      const patients = bool(v['allow-patient-participation'], 'allow-patient-participation');
      const external = bool(v['allow-external-organisations'], 'allow-external-organisations');
      if (patients !== undefined || external !== undefined)
        update.policies = {
          ...(patients !== undefined ? { allow_patient_participation: patients } : {}),
          ...(external !== undefined ? { allow_external_organisations: external } : {}),
        };
      await svc.updateThreadLedger(me.author, me.careLocation, id, update);
      out(
        json,
        { thread_id: id, commit: await svc.record.repo.head() },
        `updated thread ${id} (one commit; push it with ccr push)`,
      );
      return 0;
    }
    throw new UsageError(`unknown action ${action}; use create, list, show or update`);
  },
};
