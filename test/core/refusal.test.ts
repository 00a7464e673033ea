// core/refusal.ts: the sentence a file is refused with comes from its schema's `refusal`
// annotations, in file order then rank; sites.json and quotas.json keep their sentences.

import t from 'tap';
import * as refusal from '../../core/refusal.js';
import { refusals, sentence } from '../../core/refusal.js';
import { checkQuotas } from '../../server/quotas.js';
import { validateQuotas, quotasSchema } from '../../server/quotasSchema.js';
import { checkSites } from '../../sync/peers.js';

const ID = '0f0e8a4c-1b2c-4d5e-8f90-123456789abc';
const peer = { name: 'b', url: 'https://b.example', user: 'site-a', token_env: 'T', records: 'all' };

t.test('the module exports refusals and sentence', async (t) => {
  t.same(Object.keys(refusal).sort(), ['refusals', 'sentence']);
});

t.test(
  'a property name the schema does not allow is named by its refusal, with {at} and {found} filled in',
  async (t) => {
    t.notOk(validateQuotas({ kinds: { nobody: {} } }));
    const [first] = refusals(quotasSchema, validateQuotas.errors);
    t.equal(
      sentence(first!),
      'quotas.json kinds: expected one of admin, auditor, site, integration, participant, found nobody',
    );
  },
);

t.test('sites.json keeps its refusal sentences, the first fault in file order named', async (t) => {
  const refused = (value: unknown) => t.throws(() => checkSites(value));
  t.throws(() => checkSites([]), /^sites\.json: expected \{ "peers": \[ … \] \}$/);
  t.throws(
    () =>
      checkSites({
        peers: [
          { ...peer, url: 'ftp://b' },
          { ...peer, name: 'c', user: 5 },
        ],
      }),
    /^sites\.json peer "b": expected an http\(s\) url$/,
  );
  t.throws(
    () => checkSites({ peers: [peer, { ...peer, url: 'ftp://x' }] }),
    /^sites\.json peer "b": expected a unique name/,
    'a name twice comes before a later fault of that peer',
  );
  t.throws(
    () => checkSites({ peers: [{ ...peer, token_env: undefined }] }),
    /^sites\.json peer "b": expected user and token \(or token_env\)$/,
  );
  t.throws(
    () => checkSites({ peers: [{ ...peer, records: [ID] }] }),
    /with a list of records, so the peer reaches only those$/,
  );
  t.throws(() => checkSites({ peers: [peer], interval_seconds: -1 }), /^sites\.json: expected interval_seconds ≥ 0$/);
  refused({ peers: [{ ...peer, records: ['x'], principal: 'p' }] });
  t.same(checkSites({ peers: [peer] }), { peers: [peer], interval_seconds: 60 });
});

t.test('quotas.json keeps its refusal sentences, in the order the checks always ran', async (t) => {
  t.throws(() => checkQuotas(null), /^quotas\.json: expected an object$/);
  t.throws(
    () => checkQuotas({ period_seconds: 0, kinds: { nobody: {} } }),
    /^quotas\.json: expected period_seconds to be a whole number ≥ 1$/,
  );
  t.throws(
    () => checkQuotas({ kinds: { participant: { records: -1 }, nobody: {} } }),
    /^quotas\.json kinds\.participant\.records: expected a whole number ≥ 0 or null \(no limit\)$/,
  );
  t.throws(
    () => checkQuotas({ principals: { ann: { pages: 1, bytes: -1 } } }),
    /^quotas\.json principals\.ann: expected only records, threads or bytes, found pages$/,
  );
  t.throws(
    () => checkQuotas({ kinds: { site: 3 } }),
    /^quotas\.json kinds\.site: expected an object of records, threads, bytes$/,
  );
  t.match(checkQuotas({ kinds: { admin: { records: 1 } } }), {
    period_seconds: 3600,
    kinds: { admin: { records: 1 }, participant: { records: 100 } },
    principals: {},
  });
});
