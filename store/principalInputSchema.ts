// The validator of a new principal (schemas/api/principal.schema.json, compiled ahead of time into
// core/generated/), typed as store/principals.ts takes it.

import type { ValidateFunction } from 'ajv';
import * as generated from '../core/generated/apiValidators.js';
import principalInputSchema from '../schemas/api/principal.schema.json' with { type: 'json' };
import type { PrincipalKind } from '../core/principal.js';
import type { Role } from '../core/vocabulary.js';

/** A new principal as checked: a participant has its three fields, any other kind none of them. */
export type CheckedPrincipalInput =
  | { name: string; kind: 'participant'; participant_id: string; role: Role; display_name: string }
  | { name: string; kind: Exclude<PrincipalKind, 'participant'> };

/** Validates a new principal; a type guard for `CheckedPrincipalInput` (the generated code is untyped). */
export const validatePrincipalInput = generated.validatePrincipalInput as ValidateFunction<CheckedPrincipalInput>;

/** The schema itself, for the refusal sentences it carries. */
export { principalInputSchema };
