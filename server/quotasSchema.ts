// The validator of <data>/quotas.json (schemas/quotas.schema.json, compiled ahead of time into
// core/generated/), typed as the file is written: every part may be left out (or null) for its default.

import type { ValidateFunction } from 'ajv';
import * as generated from '../core/generated/configValidators.js';
import quotasSchema from '../schemas/quotas.schema.json' with { type: 'json' };
import type { PrincipalKind } from '../core/principal.js';

/** What may be added per period; a missing or null entry is unlimited. */
export interface QuotaLimits {
  records?: number | null;
  threads?: number | null;
  bytes?: number | null;
}

/** quotas.json as written. */
export interface QuotasFile {
  period_seconds?: number | null;
  kinds?: Partial<Record<PrincipalKind, QuotaLimits>> | null;
  principals?: Record<string, QuotaLimits> | null;
}

/** Validates a value read from quotas.json; a type guard for `QuotasFile` (the generated code is untyped). */
export const validateQuotas = generated.validateQuotas as ValidateFunction<QuotasFile>;

/** The schema itself, for the refusal sentences it carries and for tests. */
export { quotasSchema };
