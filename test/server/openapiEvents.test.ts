// The OpenAPI 3.1 path items of the events feed and webhooks (server/openapi/events.ts): a valid
// document by an independent validator, and the server's real answers match their schemas.

import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import t from 'tap';
import { eventSchema, paths } from '../../server/openapi/events.js';
import { jane, tom } from '../helpers/people.js';
import { startReceiver } from '../helpers/receiver.js';
import { testServer } from '../helpers/server.js';

t.test('the path items make a valid OpenAPI 3.1 document', async (t) => {
  const doc = {
    openapi: '3.1.0',
    info: { title: 'CCR events', version: '1' },
    paths,
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
  const r = await new Validator().validate(doc);
  t.ok(r.valid, JSON.stringify(r.errors));
});

t.test("the feed's and the webhook endpoints' answers match their schemas", async (t) => {
  const rx = await startReceiver(t, 'a-webhook-secret-of-32-characters!');
  const s = await testServer(t, { webhooks: { allow: [rx.host] } });
  const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  const schemaOf = (path: string, method: string, status: number) =>
    (paths[path] as any)[method].responses[status].content['application/json'].schema;
  const check = (what: string, schema: unknown, body: unknown) =>
    t.ok(ajv.validate(schema as object, body), `${what}: ${ajv.errorsText()}`);
  const made = await s.api('POST', '/api/webhooks', s.admin, {
    url: rx.url,
    secret: 'a-webhook-secret-of-32-characters!',
    records: 'all',
  });
  check('created hook', schemaOf('/api/webhooks', 'post', 201), made.body);
  await s.record({ participants: [jane, tom], message: { author_id: jane.participant_id, body: 'hello' } });
  await s.server.context.events.feed.idle();
  const feed = await s.api('GET', '/api/events', s.admin);
  t.ok(feed.body.events.length >= 3);
  check('feed page', schemaOf('/api/events', 'get', 200), feed.body);
  check('an event', eventSchema, feed.body.events[0]);
  await rx.waitFor(() => true);
  check('a delivery body', eventSchema, rx.received[0]!.json);
  check('hooks', schemaOf('/api/webhooks', 'get', 200), (await s.api('GET', '/api/webhooks', s.admin)).body);
  check(
    'deliveries',
    schemaOf('/api/webhooks/{id}/deliveries', 'get', 200),
    (await s.api('GET', `/api/webhooks/${made.body.id}/deliveries`, s.admin)).body,
  );
});
