import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from '../helpers/git.js';
import { as, committer, jane, place } from '../helpers/people.js';
import { testServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { diskDigest, raw, receivePackBody, remoteMain, send, statusOf } from '../helpers/wire.js';

const basic = (s: TestServer) => `Authorization: Basic ${Buffer.from(`admin:${s.admin.token}`).toString('base64')}\r\n`;

/** The server still answers and serves git after whatever happened. */
async function healthy(t: Test, s: TestServer, id: string) {
  t.equal((await s.api('GET', '/healthz', null)).status, 200, 'the server still answers');
  const work = tempDir(t);
  t.equal((await gitRun(work, ['clone', '-q', s.gitUrl(id, s.admin), 'x'])).status, 0, 'and still serves clones');
}

t.test('odd paths are 404 or 400 and touch nothing on disk', async (t) => {
  const s = await testServer(t);
  const id = (await s.record({ participants: [jane] })).id;
  const upper = id.toUpperCase();
  const before = diskDigest(s.data + '/coordination');
  const paths = [
    `/coordination/../principals.json`,
    `/coordination/%2e%2e/${id}.git/info/refs?service=git-upload-pack`,
    `//coordination/${id}.git/info/refs?service=git-upload-pack`,
    `/coordination/./${id}.git/info/refs?service=git-upload-pack`,
    `/coordination/${id}.git/../${id}.git/info/refs?service=git-upload-pack`,
    `/coordination\\${id}.git/info/refs?service=git-upload-pack`,
    `/coordination/${id}.git/info/refs?service=git-upload-pack%00`,
    `/coordination/${upper}.git/info/refs?service=git-upload-pack`,
    `/coordination/{${id}}.git/info/refs?service=git-upload-pack`,
    `/coordination/${id.replaceAll('-', '')}.git/info/refs?service=git-upload-pack`,
    `/coordination/${id}.git/HEAD`,
    `/coordination/${id}.git/objects/info/packs`,
    `/coordination/${id}.git/info/refs`,
    `/coordination/${id}.git/info/refs?service=git-upload-archive`,
    `/coordination/7f/4c/${id}.git/info/refs?service=git-upload-pack`,
    `/coordination/${id}.git/git-upload-pack/`,
    `/api/records/../principals`,
    `/API/records`,
    `/`,
    `*`,
    `http://evil.example/coordination/${id}.git/info/refs?service=git-upload-pack`,
  ];
  for (const path of paths) {
    const answer = await raw(s.server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${basic(s)}Connection: close\r\n\r\n`);
    t.ok([400, 404].includes(statusOf(answer)), `${path} → ${statusOf(answer)}`);
  }
  t.equal(diskDigest(s.data + '/coordination'), before, 'nothing was created');
  t.equal(
    (await send(`${s.url}/coordination/${id}/info/refs?service=git-upload-pack`, { auth: s.admin })).status,
    200,
    'the path without .git works',
  );
});

t.test('a record folder that is a symlink is not followed', async (t) => {
  const s = await testServer(t);
  const real = (await s.record({ participants: [jane] })).id;
  const fake = 'abcdef12-3456-4789-8abc-def123456789';
  mkdirSync(`${s.data}/coordination/ab/cd`, { recursive: true });
  symlinkSync(
    `${s.data}/coordination/${real.slice(0, 2)}/${real.slice(2, 4)}/${real}.git`,
    `${s.data}/coordination/ab/cd/${fake}.git`,
  );
  t.equal(
    (await send(`${s.url}/coordination/${fake}.git/info/refs?service=git-upload-pack`, { auth: s.admin })).status,
    404,
  );
  // The real record's shard folder moved away and a symlink put in its place.
  const shard = `${s.data}/coordination/${real.slice(0, 2)}`;
  renameSync(shard, `${s.data}/elsewhere`);
  symlinkSync(`${s.data}/elsewhere`, shard);
  t.equal(
    (await send(`${s.url}/coordination/${real}.git/info/refs?service=git-upload-pack`, { auth: s.admin })).status,
    404,
    'nor a shard folder that is a symlink',
  );
});

t.test(
  'junk bodies, gzip bombs and malformed requests neither crash nor hang the server, nor move a ref',
  async (t) => {
    const s = await testServer(t, { maxRequestBytes: 1024 * 1024, maxPushBytes: 2 * 1024 * 1024 });
    const rec = await s.record({ participants: [jane] });
    const work = tempDir(t);
    await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
    const main = await remoteMain(`${work}/c`);
    const url = (svc: string) => `${s.url}/coordination/${rec.id}.git/${svc}`;
    const post = (svc: string, body: Buffer, headers: Record<string, string> = {}) =>
      send(url(svc), {
        method: 'POST',
        auth: s.admin,
        body,
        headers: { 'Content-Type': `application/x-${svc}-request`, ...headers },
      });

    const junk = await post('git-upload-pack', randomBytes(64 * 1024));
    t.equal(junk.status, 400, 'garbage to upload-pack is a bad request');
    const big = await post('git-receive-pack', randomBytes(4 * 1024 * 1024));
    t.equal(big.status, 413, `a 4 MB junk push over the cap is refused: ${big.body.toString().slice(0, 200)}`);
    const medium = await post('git-receive-pack', randomBytes(1024 * 1024));
    t.equal(medium.status, 400, '1 MB of junk that git cannot read is a bad request');
    const chunked = await new Promise<number>((resolve) => {
      const req = (s.url.startsWith('https') ? null : import('node:http'))!;
      void req.then(({ request }) => {
        const r = request(
          url('git-receive-pack'),
          {
            method: 'POST',
            headers: {
              'Content-Type': 'application/x-git-receive-pack-request',
              Authorization: `Basic ${Buffer.from(`admin:${s.admin.token}`).toString('base64')}`,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        r.on('error', () => resolve(-1));
        // A valid command line, then 3 MB of junk pack sent without a length: refused either way.
        r.write(`0068${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/main\0 report-status\n0000PACK`);
        const junk = randomBytes(64 * 1024);
        let sent = 0;
        const more = () => {
          while (sent < 3 * 1024 * 1024 && r.write(junk)) sent += junk.length;
          if (sent < 3 * 1024 * 1024)
            r.once('drain', () => {
              sent += junk.length;
              more();
            });
          else r.end();
        };
        more();
      });
    });
    t.ok([400, 413, -1].includes(chunked), `a chunked junk push is refused or cut off (${chunked})`);
    // A negotiation that inflates to 20 MB of `have` lines: git keeps reading, the cap stops it.
    const haves = Buffer.from(`0032want ${main}\n0000` + `0032have ${'1'.repeat(40)}\n`.repeat(400_000) + '0009done\n');
    const bomb = await post('git-upload-pack', gzipSync(haves), { 'Content-Encoding': 'gzip' });
    t.equal(bomb.status, 413, `the cap holds after gzip inflation: ${bomb.body.toString().slice(0, 200)}`);
    const brokenGzip = await post('git-upload-pack', randomBytes(1000), { 'Content-Encoding': 'gzip' });
    t.equal(brokenGzip.status, 400, 'a broken gzip stream is a bad request');
    t.equal(
      (await post('git-upload-pack', Buffer.from('0000'), { 'Content-Type': 'text/plain' })).status,
      415,
      'the wrong content type',
    );
    t.equal((await send(url('git-upload-pack'), { method: 'GET', auth: s.admin })).status, 405, 'the wrong method');
    const huge = await raw(s.server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    t.ok([400, 431].includes(statusOf(huge)), `huge headers → ${statusOf(huge)}`);
    const nonsense = await raw(s.server.port, 'HELLO WORLD\r\n\r\n');
    t.equal(statusOf(nonsense), 400, 'not HTTP at all');
    t.equal(await remoteMain(`${work}/c`), main, 'main did not move');
    await healthy(t, s, rec.id);
  },
);

t.test('a client that aborts mid-push leaves the ref and the server as they were', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({ participants: [jane] });
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, s.admin), 'c']);
  const old = await remoteMain(`${work}/c`);
  const svc = await CoordinationService.at(`${work}/c`);
  for (let i = 0; i < 5; i++)
    await svc.addMessage(committer, place, rec.thread!, {
      author: as(jane),
      body: `Part ${i}:\n${randomBytes(20000)
        .toString('base64')
        .replace(/(.{76})/g, '$1\n')}`,
    });
  const next = (await gitOk(`${work}/c`, ['rev-parse', 'HEAD'])).trim();
  const body = await receivePackBody(`${work}/c`, old, next);
  await new Promise<void>((resolve) => {
    const socket = connect(s.server.port, '127.0.0.1', () => {
      socket.write(
        `POST /coordination/${rec.id}.git/git-receive-pack HTTP/1.1\r\nHost: x\r\n${basic(s)}Content-Type: application/x-git-receive-pack-request\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body.subarray(0, body.length >> 1));
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200);
    });
    socket.on('error', () => undefined);
  });
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await remoteMain(`${work}/c`), old, 'main did not move');
  t.equal((await gitRun(`${work}/c`, ['push', '-q', 'origin', 'main'])).status, 0, 'the same push, complete, lands');
  await healthy(t, s, rec.id);
});

t.test('slow clients are cut off by the header and idle timeouts', async (t) => {
  const s = await testServer(t, { headersTimeoutMs: 500, idleTimeoutMs: 800 });
  const rec = await s.record({ participants: [jane] });
  const started = Date.now();
  const slow = await raw(s.server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 5000);
  t.ok(Date.now() - started < 4000, `a request whose headers never end is closed (${Date.now() - started} ms)`);
  t.ok(slow === '' || [400, 408].includes(statusOf(slow)));
  const idle = await raw(
    s.server.port,
    `POST /coordination/${rec.id}.git/git-upload-pack HTTP/1.1\r\nHost: x\r\n${basic(s)}Content-Type: application/x-git-upload-pack-request\r\nContent-Length: 1000\r\n\r\n00`,
    5000,
  );
  t.ok(Date.now() - started < 9000, 'a body that stops coming is cut off');
  t.not(statusOf(idle), 200);
  await healthy(t, s, rec.id);
});

t.test('what git said about a request it could not serve is logged with the request id', async (t) => {
  const s = await testServer(t);
  const rec = await s.record({ participants: [jane] });
  const main = (await s.api('GET', `/api/records/${rec.id}`, s.admin)).body.head as string;
  const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, '0') + line;
  // upload-pack requests are read by the server before git sees them: junk never reaches git, so a
  // request that passes that check and that git itself refuses (deepen 0) is what shows git's words.
  const bodies: Array<[string, string, RegExp]> = [
    ['git-upload-pack', `${pkt(`want ${main}\n`)}${pkt('deepen 0\n')}0000${pkt('done\n')}`, /fatal: Invalid deepen/],
    ['git-receive-pack', 'garbage, not pkt-lines', /fatal: protocol error/],
  ];
  for (const [svc, body, said] of bodies) {
    const headers = { 'Content-Type': `application/x-${svc}-request` };
    const r = await send(`${s.url}/coordination/${rec.id}.git/${svc}`, {
      method: 'POST',
      auth: s.admin,
      body,
      headers,
    });
    t.equal(r.status, 400, `${svc}: a bad request`);
    const id = r.headers['x-request-id'];
    const logged = s.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['event'] === 'git-failed' && l['request'] === id);
    const expected = { level: 'warn', record: rec.id, service: svc, code: Number, stderr: said };
    t.match(logged, expected, `${svc}: git's stderr is in the log, under the request id`);
  }
  const junk = await send(`${s.url}/coordination/${rec.id}.git/git-upload-pack`, {
    method: 'POST',
    auth: s.admin,
    body: 'garbage, not pkt-lines',
    headers: { 'Content-Type': 'application/x-git-upload-pack-request' },
  });
  t.equal(junk.status, 400, 'junk to upload-pack is a bad request');
  const access = readFileSync(`${s.data}/access.log`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(
    access.find((l) => l['request'] === junk.headers['x-request-id']),
    { status: 400 },
    'and its refusal is in the access log under the request id',
  );
});
