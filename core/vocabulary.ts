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
