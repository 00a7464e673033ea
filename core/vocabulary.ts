// The closed vocabularies of SPEC sections 4–6.

/** Roles a participant holds in a thread's ledger. */
export const roles = ['clinician', 'careadministrator', 'patient', 'patientassociate', 'system'] as const;
/** A participant role. */
export type Role = (typeof roles)[number];

/** Message types: a role, or `correction`. `system` doubles as the coordination-event type. */
export const messageTypes = [...roles, 'correction'] as const;
/** A message type. */
export type MessageType = (typeof messageTypes)[number];

/** Thread statuses, in the only order they may move. */
export const threadStatuses = ['open', 'closed', 'archived'] as const;
/** A thread status. */
export type ThreadStatus = (typeof threadStatuses)[number];

/** Where a thread's status may move from each status (SPEC 8); an archived thread never changes again. */
export const statusMoves: Record<ThreadStatus, readonly ThreadStatus[]> = {
  open: ['closed', 'archived'],
  closed: ['archived'],
  archived: [],
};

/** True when a thread's status may go from `from` to `to` (staying is not a move). */
export function mayMove(from: ThreadStatus, to: ThreadStatus): boolean {
  return from === to || statusMoves[from].includes(to);
}

/** The moves of `statusMoves` in words: `open→closed, open→archived or closed→archived`. */
export function describeMoves(): string {
  const moves = threadStatuses.flatMap((from) => statusMoves[from].map((to) => `${from}→${to}`));
  return moves.length > 1 ? `${moves.slice(0, -1).join(', ')} or ${moves[moves.length - 1]}` : moves.join('');
}

/** Sensitivity labels of a thread. */
export const sensitivities = ['standard', 'confidential', 'restricted'] as const;
/** A sensitivity label. */
export type Sensitivity = (typeof sensitivities)[number];

/** Lifecycle states of a record. */
export const lifecycleStates = ['active', 'suspended', 'closed'] as const;
/** A record lifecycle state. */
export type LifecycleState = (typeof lifecycleStates)[number];

/** Roles that may create threads and change ledgers (SPEC 8, who). */
export const governingRoles: readonly Role[] = ['clinician', 'careadministrator'];

/** Roles that count as patient participation (need `allow_patient_participation`). */
export const patientRoles: readonly Role[] = ['patient', 'patientassociate'];

/** True when `value` is one of `list`. */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
