// The webhook allow-list (server/events/webhooks.ts): what `--webhook-allow` accepts, and which
// hook URLs it lets through; the signature header.

import { createHmac } from 'node:crypto';
import t from 'tap';
import { checkHookUrl, parseAllowList, signature } from '../../server/events/webhooks.js';
import { ccr } from '../helpers/cli.js';

t.test('the allow-list takes HOST and HOST:PORT entries, and refuses anything else', async (t) => {
  t.same(parseAllowList(undefined), []);
  t.same(parseAllowList(' '), []);
  t.same(parseAllowList('EHR.example.org:443, 127.0.0.1:8081,[::1]:9000,hooks.example.org'), [
    'ehr.example.org:443',
    '127.0.0.1:8081',
    '[::1]:9000',
    'hooks.example.org',
  ]);
  for (const bad of [
    'http://ehr.example.org',
    'ehr.example.org:0',
    'ehr.example.org:70000',
    'a b',
    'host/path',
    '*.example.org',
    'user@host',
  ]) {
    t.throws(() => parseAllowList(bad), /expected HOST or HOST:PORT/, bad);
  }
});

t.test('a hook URL passes only with its host and port on the list', async (t) => {
  const allow = parseAllowList('ehr.example.org,127.0.0.1:8081');
  t.equal(checkHookUrl('https://ehr.example.org/ccr', allow).host, 'ehr.example.org', 'a bare host: the default port');
  t.equal(checkHookUrl('http://ehr.example.org/ccr', allow).host, 'ehr.example.org');
  t.ok(checkHookUrl('http://127.0.0.1:8081/x', allow));
  t.ok(checkHookUrl('http://EHR.example.org/x', allow), 'host names compare without case');
  t.equal(
    checkHookUrl('http://2130706433:8081/x', allow).hostname,
    '127.0.0.1',
    'an address is compared in its normal form',
  );
  const refused = [
    'https://ehr.example.org:8443/ccr',
    'http://127.0.0.1:8082/x',
    'http://127.0.0.1/x',
    'http://ehr.example.org.evil.invalid/',
    'http://[::1]:8081/x',
  ];
  for (const url of refused) t.throws(() => checkHookUrl(url, allow), { code: 'Forbidden' }, url);
  for (const url of ['file:///etc/passwd', 'http://u:p@ehr.example.org/', 'not a url', 'gopher://ehr.example.org/']) {
    t.throws(() => checkHookUrl(url, allow), { code: 'InvalidInput' }, url);
  }
  t.throws(() => checkHookUrl('http://127.0.0.1:8081/x', []), { code: 'Forbidden' }, 'nothing is allowed by default');
});

t.test('the signature is sha256= and the hex HMAC-SHA256 of the body', async (t) => {
  t.equal(signature('k', '{"a":1}'), `sha256=${createHmac('sha256', 'k').update('{"a":1}').digest('hex')}`);
});

t.test('ccr serve refuses a malformed --webhook-allow before starting', async (t) => {
  const r = await ccr(['serve', '--data', '/nonexistent-ccr-test', '--webhook-allow', 'http://x']);
  t.not(r.status, 0);
  t.match(r.stderr, /--webhook-allow/);
});
