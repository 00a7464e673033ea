// The record routes of the JSON API (SPEC 9): create, list, summary.

import { isRecordId, type RecordId } from '../../core/ids.js';
import { createRecordFrom, createRecordRoute, listRecordsRoute, recordSummaryRoute } from '../api.js';
import { readJson } from '../http.js';
import { fingerprint, parseIdempotencyKey } from '../idempotency.js';
import { exact, json, route, type Pattern } from './route.js';

/** /api/records: a collection (its 405 names GET, as it always did). */
const records = exact('/api/records', 'GET');
const RECORD = /^\/api\/records\/([0-9a-f-]{36})$/;
/** /api/records/<id> */
const record: Pattern<{ record: RecordId }> = {
  paths: ['/api/records/{id}'],
  match: (path) => {
    const id = RECORD.exec(path)?.[1];
    return isRecordId(id) ? { record: id } : null;
  },
};

/** The record routes. */
export const recordRoutes = [
  route({
    kind: 'records-create',
    method: 'POST',
    pattern: records,
    need: { right: (r) => r.createRecords, what: 'create records' },
    async handler({ ctx, req, res, principal, entry }) {
      const key = parseIdempotencyKey(req.headers['idempotency-key']);
      if (key === undefined) {
        const created = await createRecordRoute(ctx, req, principal);
        entry.record = created.record;
        return json(created);
      }
      const body = await readJson(req, ctx.options.maxRequestBytes);
      const given = await ctx.idempotency.run(principal.name, key, fingerprint('POST', '/api/records', body), () =>
        createRecordFrom(ctx, principal, body),
      );
      if (given.replayed) res.setHeader('Idempotent-Replayed', 'true');
      const made = (given.body as { coordination_id?: RecordId } | null)?.coordination_id;
      if (made) entry.record = made;
      return json(given);
    },
  }),
  route({
    // A participant lists its own records (`listRecords: 'own'`), the handler tells which list.
    kind: 'records-list',
    method: 'GET',
    pattern: records,
    need: { right: (r) => r.listRecords !== 'none', what: 'list records' },
    handler: async ({ ctx, principal, query }) =>
      json(await listRecordsRoute(ctx, principal, query.get('after') ?? undefined, query.get('limit') ?? undefined)),
  }),
  route({
    kind: 'record',
    method: 'GET',
    pattern: record,
    need: { none: "read per record (mayAccess, the kind's `read`): no right and no record are the same 404" },
    handler: async ({ ctx, principal }, p) => json(await recordSummaryRoute(ctx, principal, p.record)),
  }),
];
