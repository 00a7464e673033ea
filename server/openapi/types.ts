// Shapes and helpers shared by the area modules of the OpenAPI document.

/** Path items by path template (`/api/records/{id}`). */
export type Paths = Record<string, Record<string, unknown>>;

/** A reference to a schema of `components.schemas`. */
export function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON body (request or response) of a schema. */
export function json(schema: unknown, description = 'JSON'): Record<string, unknown> {
  return { description, content: { 'application/json': { schema } } };
}

/** The error answers of an operation, by status (500 always), each the JSON error body of components. */
export function errors(...statuses: number[]): Record<string, unknown> {
  return Object.fromEntries(
    [...new Set([...statuses, 500])].map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]),
  );
}

/** The statuses with a shared error response in components. */
export const errorStatuses: Record<number, string> = {
  400: 'InvalidInput: the request does not have the expected shape',
  401: 'Unauthorized: no or bad credentials',
  403: 'Forbidden (or AuthorInvalid): the principal may not do this',
  404: 'not found, or not readable by this principal (the same answer)',
  405: 'MethodNotAllowed: another method is served here',
  409: 'a conflict: ThreadClosed, RecordExists, or ConcurrentUpdate (main kept moving; retry)',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType: expected application/json',
  422: 'RuleViolation (findings name the rule ids) or IdempotencyKeyReused',
  429: 'QuotaExceeded: the message says when to retry',
  500: 'an internal error: the message names the request id the log holds',
  503: 'Unavailable, RecordLocked or a read over its budget; retry',
  507: 'InsufficientStorage: nothing was written',
};

/** A path parameter. */
export function pathParam(
  name: string,
  description: string,
  schema: unknown = { type: 'string' },
): Record<string, unknown> {
  return { name, in: 'path', required: true, description, schema };
}

/** A query parameter. */
export function queryParam(
  name: string,
  description: string,
  schema: unknown = { type: 'string' },
  required = false,
): Record<string, unknown> {
  return { name, in: 'query', required, description, schema };
}
