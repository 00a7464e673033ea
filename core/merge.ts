// The deterministic merge of SPEC 10, file by file: two sites that appended to the same record
// concurrently compute, each on its own, exactly the same merged files from the merge base and the
// two parents. Messages are never lost or changed: every block of either side is kept byte for
// byte. Ledger and status fields are merged by the rules written here (docs/decisions.md).

import type { Finding } from './findings.js';
import { parseTimestamp, type Timestamp } from './ids.js';
import type { Ledger, Participant } from './ledger.js';
import { parseMessages } from './messages/grammar.js';
import { HEADER, separatorAfter } from './messages/message.js';
import type { CoordinationStatus } from './status.js';
import { lifecycleStates, sensitivities, threadStatuses } from './vocabulary.js';

/** A merged value, or why the two sides cannot be merged (with the findings of a file rule the merge would break). */
export type Merged<T> = { ok: true; value: T } | { ok: false; conflict: string; findings?: Finding[] };

/** One block of a messages.md: its id, timestamp and exact text (`## Message` … body, newline). */
interface Block {
  id: string;
  timestamp: string;
  text: string;
}

function blocks(file: string): Block[] {
  return parseMessages(file).messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    text: file.slice(m.start, m.bodyEnd + 1),
  }));
}

/**
 * messages.md merged: the merge base's blocks in their order, then every block either side has
 * beyond them, once, ordered by (timestamp, message id, bytes). A block is its exact bytes: two
 * blocks with one id and different bytes (accepted at two sites at once; ids are chosen by
 * whoever writes) are both kept, so no accepted message is ever lost and no round is stuck on
 * them. A base block a side no longer holds (a rewritten history) cannot be merged.
 */
export function mergeMessages(base: string | null, a: string, b: string): Merged<string> {
  const baseBlocks = blocks(base ?? HEADER);
  const known = new Set(baseBlocks.map((x) => x.text));
  const added = new Map<string, Block>();
  for (const side of [blocks(a), blocks(b)]) {
    const texts = new Set(side.map((x) => x.text));
    const lost = baseBlocks.find((x) => !texts.has(x.text));
    if (lost)
      return {
        ok: false,
        conflict: `message ${lost.id} of the merge base is missing on one side, or holds other bytes there`,
      };
    for (const x of side) if (!known.has(x.text)) added.set(x.text, x);
  }
  const key = (x: Block) => [x.timestamp, x.id, x.text] as const;
  const order = [...added.values()].sort((x, y) => {
    const [p, q] = [key(x), key(y)];
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i]! < q[i]! ? -1 : 1;
    return 0;
  });
  let out = HEADER;
  for (const x of [...baseBlocks, ...order]) out += separatorAfter(out) + x.text;
  return { ok: true, value: out };
}

const rank =
  <T extends string>(order: readonly T[]) =>
  (x: T) =>
    order.indexOf(x);
const later = (x: string, y: string) => ((parseTimestamp(x) ?? 0) >= (parseTimestamp(y) ?? 0) ? x : y);

/**
 * Participants merged by id: kept if neither side removed them (a removal wins), added when
 * either side added them; an entry both sides changed differently takes the first parent's.
 * Order: the base's, then additions by id. A thread keeps at least one participant: when the
 * removals of the two sides together would leave none (each side removed a different one), the
 * participants either side still lists stay.
 */
function mergeParticipants(base: Participant[], a: Participant[], b: Participant[]): Participant[] {
  const merged = participantsByRule(base, a, b);
  return merged.length > 0 ? merged : participantsByRule([], a, b);
}

function participantsByRule(base: Participant[], a: Participant[], b: Participant[]): Participant[] {
  const key = (p: Participant | undefined) => JSON.stringify(p ?? null);
  const byId = (list: Participant[]) => new Map(list.map((p) => [p.participant_id as string, p]));
  const [o, x, y] = [byId(base), byId(a), byId(b)];
  const pick = (id: string): Participant | undefined => {
    const [was, pa, pb] = [o.get(id), x.get(id), y.get(id)];
    if (was && (!pa || !pb)) return undefined;
    if (key(pa) === key(was)) return pb;
    if (key(pb) === key(was)) return pa;
    return pa ?? pb;
  };
  const ids = [...o.keys(), ...[...new Set([...x.keys(), ...y.keys()])].filter((id) => !o.has(id)).sort()];
  return ids.map(pick).filter((p): p is Participant => p !== undefined);
}

/**
 * ledger.yaml merged field by field: status the furthest along (open < closed < archived),
 * participants by id, sensitivity the most restrictive, restricted if either side says so,
 * each policy allowed only if both sides allow it, last_updated_at the latest (and no earlier
 * than any message). thread_id and created_at never differ between valid sides.
 */
export function mergeLedger(base: Ledger | null, a: Ledger, b: Ledger, latestMessage: string | null): Ledger {
  const status = rank(threadStatuses);
  const sensitivity = rank(sensitivities);
  let last = later(a.last_updated_at, b.last_updated_at);
  if (latestMessage) last = later(last, latestMessage);
  return {
    thread_id: a.thread_id,
    status: status(a.status) >= status(b.status) ? a.status : b.status,
    created_at: a.created_at,
    last_updated_at: last as Timestamp,
    participants: mergeParticipants(base?.participants ?? [], a.participants, b.participants),
    visibility: {
      sensitivity:
        sensitivity(a.visibility.sensitivity) >= sensitivity(b.visibility.sensitivity)
          ? a.visibility.sensitivity
          : b.visibility.sensitivity,
      restricted: a.visibility.restricted || b.visibility.restricted,
    },
    policies: {
      allow_patient_participation: a.policies.allow_patient_participation && b.policies.allow_patient_participation,
      allow_external_organisations: a.policies.allow_external_organisations && b.policies.allow_external_organisations,
    },
  };
}

/**
 * COORDINATION_STATUS.yaml merged: a field changed on one side only takes that side's value; one
 * changed on both takes the more restrictive (lifecycle active < suspended < closed; a flag is true
 * only if both sides say so).
 */
export function mergeStatus(
  base: CoordinationStatus,
  a: CoordinationStatus,
  b: CoordinationStatus,
): CoordinationStatus {
  const lifecycle = rank(lifecycleStates);
  const pickFlag = (k: 'record_open' | 'record_queryable' | 'record_modifiable') =>
    a.status[k] === base.status[k]
      ? b.status[k]
      : b.status[k] === base.status[k]
        ? a.status[k]
        : a.status[k] && b.status[k];
  const [la, lb, lo] = [a.status.lifecycle_state, b.status.lifecycle_state, base.status.lifecycle_state];
  return {
    coordination_id: a.coordination_id,
    clinical_id: a.clinical_id,
    status: {
      lifecycle_state: la === lo ? lb : lb === lo ? la : lifecycle(la) >= lifecycle(lb) ? la : lb,
      record_open: pickFlag('record_open'),
      record_queryable: pickFlag('record_queryable'),
      record_modifiable: pickFlag('record_modifiable'),
    },
  };
}
