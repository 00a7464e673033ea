// The body of POST /api/webhooks (schemas/api/webhook.schema.json, compiled ahead of time).

import type { ValidateFunction } from 'ajv';
import * as generated from '../../core/generated/apiValidators.js';
import webhookBodySchema from '../../schemas/api/webhook.schema.json' with { type: 'json' };
import type { EventKind } from '../../core/events.js';

/** A webhook as registered; a JSON array passes the schema, to be refused by the url check as before. */
export type WebhookBody =
  | {
      url: string;
      secret: string;
      records: 'all' | string[];
      kinds?: EventKind[];
    }
  | unknown[];

/** Validates a request body; a type guard for `WebhookBody` (the generated code is untyped). */
export const validateWebhookBody = generated.validateWebhookBody as ValidateFunction<WebhookBody>;

/** The schema itself, for the refusal sentences it carries. */
export { webhookBodySchema };
