// Signed push receipts (issue 14): an accepted push prints a receipt in its remote: lines, signed
// with the site key (namespace ccr-receipt); the access log keeps it once main is its `new`;
// `ccr receipt verify` and `ssh-keygen -Y verify` accept it, and not with one byte changed.

import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import { parseReceipt } from '../../core/receipt.js';
import { ccr } from '../helpers/cli.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, john, place } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { keygenVerify } from '../helpers/ssh.js';
import { tempDir } from '../helpers/tmp.js';

const receiptLines = (data: string) =>
  readFileSync(`${data}/access.log`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => l['event'] === 'receipt');

t.test('an accepted push prints a signed receipt that verifies; changed by one byte it does not', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, john],
    message: { author_id: jane.participant_id, body: 'First.' },
  });
  const dir = tempDir(t);
  const wc = `${dir}/wc`;
  await gitOk(dir, ['clone', '-q', s.gitUrl(rec.id, cast.jane), wc]);
  const old = (await gitOk(wc, ['rev-parse', 'HEAD'])).trim();
  await (
    await CoordinationService.at(wc)
  ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Bloods sent.' });
  const head = (await gitOk(wc, ['rev-parse', 'HEAD'])).trim();
  const before = Date.now();
  const pushed = await gitRun(wc, ['push', 'origin', 'HEAD:main']);
  t.equal(pushed.status, 0, pushed.stderr);
  t.match(pushed.stderr, /^remote: -----BEGIN CCR RECEIPT----- *$/m, 'printed in the remote: lines');
  const parsed = parseReceipt(pushed.stderr);
  if (!parsed.ok) throw new Error(parsed.reason);
  t.match(parsed.receipt, {
    receipt: '1',
    record: rec.id,
    ref: 'refs/heads/main',
    old,
    new: head,
    principal: 'jane',
    server: s.url,
  });
  const time = Date.parse(parsed.receipt.time);
  t.ok(time >= before - 1000 && time <= Date.now() + 1000, 'the server time');

  // The access log keeps the same receipt, once main is its new.
  const logged = receiptLines(s.data);
  t.equal(logged.length, 1);
  t.match(logged[0], { event: 'receipt', record: rec.id, principal: 'jane', new: head });
  const again = parseReceipt(logged[0]!['receipt'] as string);
  t.ok(again.ok && again.payload === parsed.payload && again.signature === parsed.signature, 'the same receipt');

  const allowedText = (await s.api('GET', '/api/allowed-signers', s.admin)).body as string;
  const allowed = `${dir}/allowed`;
  writeFileSync(allowed, allowedText);
  const file = `${dir}/push.txt`;
  writeFileSync(file, pushed.stderr);
  const good = await ccr(['receipt', 'verify', file, '--allowed-signers', allowed]);
  t.equal(good.status, 0, good.stdout + good.stderr);
  t.match(good.stdout, `receipt good: jane moved refs/heads/main of record ${rec.id} from ${old} to ${head}`);
  const byServer = await ccr(['receipt', 'verify', '-', '--server', s.url], {
    input: pushed.stderr,
    env: { CCR_USER: 'jane', CCR_TOKEN: cast.jane.token },
  });
  t.equal(byServer.status, 0, byServer.stdout + byServer.stderr);

  // ssh-keygen, the independent judge: the fields are the signed message.
  const lines = allowedText.split('\n').filter(Boolean);
  const payload = new TextEncoder().encode(parsed.payload);
  t.ok(
    keygenVerify(dir, lines, 'ccr-server', 'ccr-receipt', parsed.signature, payload),
    'ssh-keygen -Y verify -n ccr-receipt -I ccr-server',
  );
  t.notOk(keygenVerify(dir, lines, 'ccr-server', 'git', parsed.signature, payload), 'not a commit signature');

  // One byte changed, in the fields or in the signature: refused by both.
  const changedField = pushed.stderr.replace(
    `new: ${head}`,
    `new: ${head.slice(0, -1)}${head.endsWith('0') ? '1' : '0'}`,
  );
  writeFileSync(file, changedField);
  const bad = await ccr(['receipt', 'verify', file, '--allowed-signers', allowed]);
  t.equal(bad.status, 1);
  t.match(bad.stdout, /receipt bad: expected a signature that verifies/);
  const p2 = parseReceipt(changedField);
  t.notOk(
    p2.ok && keygenVerify(dir, lines, 'ccr-server', 'ccr-receipt', p2.signature, new TextEncoder().encode(p2.payload)),
    'ssh-keygen refuses the changed fields',
  );
  const sigLine = parsed.signature.split('\n')[3]!;
  const flipped = sigLine.slice(0, 10) + (sigLine[10] === 'A' ? 'B' : 'A') + sigLine.slice(11);
  writeFileSync(file, pushed.stderr.replace(sigLine, flipped));
  t.equal((await ccr(['receipt', 'verify', file, '--allowed-signers', allowed])).status, 1, 'a changed signature byte');
  t.notOk(
    keygenVerify(dir, lines, 'ccr-server', 'ccr-receipt', parsed.signature.replace(sigLine, flipped), payload),
    'ssh-keygen too',
  );

  // A receipt checked against another server's key: refused (a forger's own key proves nothing).
  const other = await testServer(t);
  writeFileSync(`${dir}/other`, (await other.api('GET', '/api/allowed-signers', other.admin)).body as string);
  writeFileSync(file, pushed.stderr);
  const foreign = await ccr(['receipt', 'verify', file, '--allowed-signers', `${dir}/other`]);
  t.equal(foreign.status, 1);
  t.match(foreign.stdout, /expected a signature by the server's key/);
  t.equal((await ccr(['receipt', 'verify', file])).status, 2, 'a usage error without a key source');

  // A refused push: no receipt printed, none logged.
  await (
    await CoordinationService.at(wc)
  ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'By the patient?' });
  const refused = await gitRun(wc, ['push', s.gitUrl(rec.id, cast.john), 'HEAD:main']);
  t.not(refused.status, 0);
  t.notMatch(refused.stderr, /CCR RECEIPT/);
  t.equal(receiptLines(s.data).length, 1, 'still one receipt in the log');
  await gitOk(wc, ['reset', '-q', '--hard', 'HEAD~1']);

  // ccr push shows the receipt it got.
  await (
    await CoordinationService.at(wc)
  ).addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Through ccr push.' });
  await gitOk(wc, ['remote', 'set-url', 'origin', `${s.url}/coordination/${rec.id}.git`]);
  const viaCcr = await ccr(['push'], { cwd: wc, env: { CCR_USER: 'jane', CCR_TOKEN: cast.jane.token } });
  t.equal(viaCcr.status, 0, viaCcr.stderr);
  t.match(viaCcr.stdout, /signed receipt[\s\S]*-----BEGIN CCR RECEIPT-----[\s\S]*-----END CCR RECEIPT-----/);
  writeFileSync(file, viaCcr.stdout);
  t.equal((await ccr(['receipt', 'verify', file, '--allowed-signers', allowed])).status, 0, 'and it verifies');
});

t.test(
  "a server told to stop as a push moves main still writes that push's receipt and request to the access log",
  async (t) => {
    const s = await testServer(t);
    const rec = await s.record({ participants: [jane, john], message: { author_id: jane.participant_id, body: 'hi' } });
    const dir = `${tempDir(t)}/admin`;
    await gitOk('/', ['clone', '-q', s.gitUrl(rec.id, s.admin), dir]);
    const svc = await CoordinationService.at(dir);
    await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Just before the server stops.' });
    const head = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim();
    // The server is told to stop the moment main moves: the push's answer is out, its bookkeeping not done.
    const stopping = new Promise<Promise<void>>((resolve) => {
      let told = false;
      s.server.context.mainMoved.push(() => {
        if (!told) resolve(s.server.close());
        told = true;
      });
    });
    const pushed = await gitRun(dir, ['push', 'origin', 'main']);
    t.equal(pushed.status, 0, pushed.stderr);
    await await stopping;
    t.match(
      receiptLines(s.data),
      [{ event: 'receipt', record: rec.id, new: head }],
      'its receipt is in the access log',
    );
    const requests = readFileSync(`${s.data}/access.log`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e['method'] === 'POST' && String(e['path']).endsWith('/git-receive-pack'));
    t.match(requests, [{ status: 200, record: rec.id }], 'and so is its request');
    t.notOk(
      s.logs.some((l) => l.includes('access-log-failed')),
      'nothing failed to reach the access log',
    );
  },
);
