// core/checkBody.ts: a request body is refused with the lowest-ranked `refusal` of its schema, a
// `{found}` listing every refused field name as the API always listed them.

import t from 'tap';
import * as checkBodyModule from '../../core/checkBody.js';
import { checkBody, fieldIn, firstFault } from '../../core/checkBody.js';
import { messageBodySchema, validateMessageBody } from '../../server/bodies/messageBody.js';
import { principalInputSchema, validatePrincipalInput } from '../../store/principalInputSchema.js';

t.test('exports checkBody, firstFault and fieldIn', async (t) => {
  t.same(Object.keys(checkBodyModule).sort(), ['checkBody', 'fieldIn', 'firstFault']);
});

t.test('a valid body comes back as it was sent', async (t) => {
  const body = { body: 'hello', author_id: 5 };
  t.equal(checkBody(validateMessageBody, messageBodySchema, body), body);
});

t.test('refuses with the fault of lowest rank, whatever ajv reported first', async (t) => {
  t.throws(() => checkBody(validateMessageBody, messageBodySchema, { body: 5, care_location: 5, corrects: 5 }), {
    code: 'InvalidInput',
    message: 'expected body to be a string',
  });
  t.throws(() => checkBody(validatePrincipalInput, principalInputSchema, { name: 'ccr-server', kind: 'nobody' }), {
    message: 'expected another name: ccr-server names the site key in the allowed signers',
  });
});

t.test('names every unknown field: quoted, cut at 40 characters, five and how many more', async (t) => {
  const long = 'y'.repeat(50);
  t.throws(() => checkBody(validateMessageBody, messageBodySchema, { body: 'x', a: 1, [long]: 1 }), {
    message: `expected only body, corrects, author_id, care_location; found "a", "${'y'.repeat(40)}…"`,
  });
  const seven = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => [k, 1]));
  t.equal(
    firstFault(messageBodySchema, validateMessageBody(seven) ? [] : validateMessageBody.errors).found,
    '"a", "b", "c", "d", "e" and 2 more',
  );
});

t.test('fieldIn reads a field of a JSON object only', async (t) => {
  t.equal(fieldIn({ a: 1 }, 'a'), 1);
  t.equal(fieldIn([1], '0'), undefined);
  t.equal(fieldIn(null, 'a'), undefined);
  t.equal(fieldIn('abc', 'length'), undefined);
});
