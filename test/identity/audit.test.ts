// Every change to principals, tokens and keys reaches the durable access log with who made it,
// also a change made by another process while the server was not running.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { AccessLog, type AccessEntry } from '../../server/accessLog.js';
import { forwardAudit } from '../../server/identity/audit.js';
import { openIdentityStores } from '../../store/sqlite/open.js';
import { tempDir } from '../helpers/tmp.js';

t.test('forwards each audit entry once, in order, with its actor, and never a secret', async (t) => {
  const data = tempDir(t, 'ccr-audit-');
  const cli = await openIdentityStores(data, { actor: 'cli:root' });
  await cli.identity.createPrincipal(
    { name: 'admin', kind: 'admin' },
    { hash: 'hmac-sha256:a' },
    { actor: 'cli:root' },
  );
  await cli.close();

  const server = await openIdentityStores(data, { actor: 'server' });
  t.teardown(() => server.close());
  const log = new AccessLog(`${data}/access.log`);
  await log.open();
  t.teardown(() => log.close());
  const append = (e: object) => log.append(e as AccessEntry);
  t.equal(await forwardAudit(server.identity, append), 2, 'what the command did while no server ran');
  const tok = await server.identity.addToken('admin', { hash: 'hmac-sha256:b', label: 'ci' }, { actor: 'admin' });
  await server.identity.revokeToken('admin', tok.id, { actor: 'admin' });
  t.equal(await forwardAudit(server.identity, append, 1), 2, 'in batches');
  t.equal(await forwardAudit(server.identity, append), 0, 'nothing twice');
  const lines = readFileSync(`${data}/access.log`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(
    lines.map((l) => [l['event'], l['seq'], l['actor'], l['action'], l['principal']]),
    [
      ['identity', 1, 'cli:root', 'principal-created', 'admin'],
      ['identity', 2, 'cli:root', 'token-created', 'admin'],
      ['identity', 3, 'admin', 'token-created', 'admin'],
      ['identity', 4, 'admin', 'token-revoked', 'admin'],
    ],
  );
  t.same(lines[2]!['detail'], { token: tok.id, label: 'ci', expires_at: null });
  t.notMatch(JSON.stringify(lines), /hmac-sha256/);
});
