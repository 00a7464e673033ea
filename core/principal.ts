// Who is pushing or writing (SPEC 9). The rules that need it run only where it is known.

import type { ParticipantId } from './ids.js';
import type { Role } from './vocabulary.js';

/** Kinds of principals. */
export const principalKinds = ['admin', 'auditor', 'site', 'integration', 'participant'] as const;
/** A principal kind. */
export type PrincipalKind = (typeof principalKinds)[number];

/** An authenticated principal, as the rules see it. */
export type Principal =
  | { kind: 'admin' | 'auditor' | 'integration'; name: string }
  /** `records`: the records shared with the peer this principal stands for (sites.json); absent, every record. */
  | { kind: 'site'; name: string; records?: ReadonlySet<string> }
  | { kind: 'participant'; name: string; participantId: ParticipantId; role: Role; displayName: string };

/** The identity a participant principal binds its participant id to: in ledgers, that id is this person. */
export interface ParticipantBinding {
  /** The principal's name. */
  name: string;
  role: Role;
  displayName: string;
}

/** The bindings of a participant id to participant principals; none for an id no principal holds. */
export type BindingLookup = (participantId: string) => readonly ParticipantBinding[];
