// Objects by id (issue 19.11): upload-pack serves only objects reachable from the refs the
// principal may read. Git alone does not hold that line: protocol v2 sends any object named in a
// `want`, v0 over HTTP sends blobs by id, `shallow` + `deepen` sends a named commit's parents,
// `object-info` tells any object's size. Commits and blobs held only under refs/ccr/ (a peer's
// refused history) are asked for by id with the git CLI and by hand, v0 and v2, plain and gzip.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { CoordinationService } from '../../index.js';
import type { Oid } from '../../core/objects.js';
import { Reachability } from '../../git/reachable.js';
import { gitEnv } from '../../git/run.js';
import { parseUploadPackRequest } from '../../server/uploadPack.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { as, committer, jane, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';
import { pkt, send } from '../helpers/wire.js';

t.test('an upload-pack request is read as git reads it, v0 and v2', async (t) => {
  const w = 'a'.repeat(40);
  const lines = (...parts: string[]) =>
    Buffer.concat(parts.map((p) => (/^000[012]$/.test(p) ? Buffer.from(p) : pkt(`${p}\n`))));
  const v0 = lines(
    `want ${w} multi_ack_detailed side-band-64k`,
    `shallow ${'b'.repeat(40)}`,
    'deepen-not main',
    'filter blob:none',
    '0000',
    `have ${'c'.repeat(40)}`,
    'done',
  );
  const have = { oid: 'c'.repeat(40), start: v0.indexOf('have') - 4, end: v0.indexOf('have') + 'have \n'.length + 40 };
  t.same(parseUploadPackRequest(v0), {
    command: null,
    objects: [w, 'b'.repeat(40)],
    refs: ['main'],
    filters: ['blob:none'],
    haves: [have],
  });
  const v2 = lines(
    'command=fetch',
    'agent=git/2.39.5',
    '0001',
    `want ${w}`,
    'want-ref refs/heads/main',
    'done',
    '0000',
  );
  const fetch = { command: 'fetch', objects: [w], refs: ['refs/heads/main'], filters: [], haves: [] };
  t.same(parseUploadPackRequest(v2), fetch);
  t.match(parseUploadPackRequest(Buffer.from('00zzjunk')), /^expected pkt-lines, found/);
  t.match(parseUploadPackRequest(Buffer.from('0032want ')), /^expected pkt-lines/, 'a line cut short');
  t.match(parseUploadPackRequest(Buffer.from('0003')), /^expected pkt-lines/);
});

t.test('objects held only under refs/ccr/ are never served by id; what main reaches is', async (t) => {
  const s = await testServer(t);
  const cast = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom],
    message: { author_id: jane.participant_id, body: 'First message.' },
  });
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(rec.id, cast.jane), 'a']);
  const svc = await CoordinationService.at(`${work}/a`);
  await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Second message.' });
  t.equal((await gitRun(`${work}/a`, ['push', '-q', 'origin', 'main'])).status, 0);

  // A peer's refused history, as a sync round leaves it: only refs/ccr/ reaches it.
  const gitdir = s.server.context.records.path(rec.id as never);
  const bare = (args: string[], input?: string) =>
    gitOk(gitdir, ['--git-dir', gitdir, ...args], input === undefined ? {} : { input });
  const main = (await bare(['rev-parse', 'main'])).trim();
  const secret = (await bare(['hash-object', '-w', '--stdin'], 'A message only the peer wrote.\n')).trim();
  const tree = (await bare(['mktree'], `100644 blob ${secret}\tsecret.md\n`)).trim();
  const hidden = (await bare(['commit-tree', '-p', main, '-m', 'hidden', tree])).trim();
  const hiddenChild = (await bare(['commit-tree', '-p', hidden, '-m', 'hidden child', tree])).trim();
  await bare(['update-ref', 'refs/ccr/peers/other/incoming', hiddenChild]);
  const older = (await bare(['rev-parse', 'main~1'])).trim();
  const olderBlob = (await bare(['rev-parse', `main~1:communications/${rec.thread}/messages.md`])).trim();

  const url = s.gitUrl(rec.id, cast.jane);
  const fresh = async () => {
    const dir = tempDir(t);
    await gitOk(dir, ['init', '-q']);
    return dir;
  };
  // No transport allowed: in a partial clone, cat-file would otherwise fetch what it is asked about.
  const has = async (dir: string, oid: string) =>
    (await gitRun(dir, ['cat-file', '-e', oid], { env: testGitEnv({ GIT_ALLOW_PROTOCOL: '' }) })).status === 0;
  const upload = `${s.url}/coordination/${rec.id}.git/git-upload-pack`;
  const requestType = { 'Content-Type': 'application/x-git-upload-pack-request' };

  await t.test('the git CLI with protocol v2 (the default)', async (t) => {
    for (const [what, oid] of [
      ['a hidden commit', hidden],
      ['a hidden blob', secret],
      ['a hidden tree', tree],
    ] as const) {
      const dir = await fresh();
      const r = await gitRun(dir, ['-c', 'protocol.version=2', 'fetch', url, oid]);
      t.not(r.status, 0, `${what} is refused`);
      const line = `remote error: upload-pack: not our ref ${oid} \\(ccr serves only objects reachable from the refs you may read\\)`;
      t.match(r.stderr, new RegExp(line), `${what}: a clear line`);
      t.notOk(await has(dir, oid), `${what} did not arrive`);
    }
    for (const [what, oid] of [
      ['an older commit of main', older],
      ['a blob of an older commit', olderBlob],
      ['the tip', main],
    ] as const) {
      const dir = await fresh();
      const r = await gitRun(dir, ['-c', 'protocol.version=2', 'fetch', url, oid]);
      t.equal(r.status, 0, `${what} is served: ${r.stderr}`);
      t.ok(await has(dir, oid), `${what} arrived`);
    }
  });

  await t.test('the git CLI with protocol v0 refuses to ask; a hand-made v0 request is refused', async (t) => {
    const dir = await fresh();
    const r = await gitRun(dir, ['-c', 'protocol.version=0', 'fetch', url, hidden]);
    t.not(r.status, 0);
    t.notOk(await has(dir, hidden));
    // Git's own v0 check covers commits only: a blob by id went through before.
    for (const oid of [secret, hidden]) {
      const body = Buffer.concat([pkt(`want ${oid} side-band-64k ofs-delta\n`), Buffer.from('0000'), pkt('done\n')]);
      const answer = await send(upload, { method: 'POST', auth: cast.jane, body, headers: requestType });
      t.equal(answer.status, 200);
      t.match(
        answer.body.toString('latin1'),
        new RegExp(`^[0-9a-f]{4}ERR upload-pack: not our ref ${oid}`),
        'an ERR line, as git answers',
      );
      t.notMatch(answer.body.toString('latin1'), /PACK/, 'no pack');
    }
  });

  await t.test('hand-made v2 requests: shallow lines, object-info, deepen-not, sparse filters, gzip', async (t) => {
    const v2 = (args: string[], command = 'fetch', gzip = false) => {
      const body = Buffer.concat([
        pkt(`command=${command}\n`),
        pkt('object-format=sha1\n'),
        Buffer.from('0001'),
        ...args.map((a) => pkt(`${a}\n`)),
        Buffer.from('0000'),
      ]);
      const headers = { ...requestType, 'Git-Protocol': 'version=2', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) };
      return send(upload, { method: 'POST', auth: cast.jane, body: gzip ? gzipSync(body) : body, headers });
    };
    const refused = async (what: string, r: ReturnType<typeof v2>, line: RegExp) => {
      const answer = await r;
      t.equal(answer.status, 200, what);
      t.match(answer.body.toString('latin1'), line, what);
      t.notMatch(answer.body.toString('latin1'), /PACK/, `${what}: no pack`);
    };
    // `shallow X` with an infinite deepen makes upload-pack send X's parents: here, the hidden commit.
    await refused(
      'a shallow line naming a hidden commit',
      v2([`want ${main}`, `shallow ${hiddenChild}`, 'deepen 2147483647', 'done']),
      new RegExp(`ERR upload-pack: not our ref ${hiddenChild}`),
    );
    await refused(
      'object-info, which tells the size of any object',
      v2(['size', `oid ${secret}`], 'object-info'),
      /ERR ccr: expected command=fetch or command=ls-refs, found command=object-info/,
    );
    await refused(
      'deepen-not naming a private ref',
      v2([`want ${main}`, 'deepen-not ccr/peers/other/incoming', 'done']),
      /ERR ccr: expected want-ref and deepen-not to name refs\/heads\/main, found ccr\/peers\/other\/incoming/,
    );
    await refused(
      'want-ref naming a private ref',
      v2(['want-ref refs/ccr/peers/other/incoming', 'done']),
      /ERR ccr: expected want-ref and deepen-not to name refs\/heads\/main/,
    );
    await refused(
      'a sparse filter reading a hidden blob',
      v2([`want ${main}`, `filter sparse:oid=${secret}`, 'done']),
      /ERR ccr: expected an object filter .*found sparse:oid=/,
    );
    await refused(
      'a hidden want inside a gzip body',
      v2([`want ${hidden}`, 'done'], 'fetch', true),
      new RegExp(`ERR upload-pack: not our ref ${hidden}`),
    );
    const ok = await v2([`want ${main}`, 'filter blob:none', 'done']);
    t.match(ok.body.toString('latin1'), /packfile/, 'a fetch of main with a blob filter is served');
    const refs = await v2(['ref-prefix refs/'], 'ls-refs');
    t.notMatch(refs.body.toString('latin1'), /refs\/ccr/, 'ls-refs never lists the private refs');
    const trailing = Buffer.from(`0032want ${main}\n0000` + '0009done\nzzzz');
    const junk = await send(upload, { method: 'POST', auth: cast.jane, body: trailing, headers: requestType });
    t.equal(junk.status, 400, 'a request with junk after its end is a bad request, not passed to git');
  });

  await t.test('a partial clone fetches the blobs it lacks by id, also after main moved', async (t) => {
    const dir = tempDir(t);
    await gitOk(dir, ['clone', '-q', '--filter=blob:none', '--no-checkout', url, 'p']);
    const p = `${dir}/p`;
    t.notOk(await has(p, olderBlob), 'the old blob is not in the partial clone');
    t.match(await gitOk(p, ['cat-file', '-p', olderBlob]), /First message\./, 'git fetches it by id on demand');
    await svc.addMessage(committer, place, rec.thread!, { author: as(jane), body: 'Third message.' });
    t.equal((await gitRun(`${work}/a`, ['push', '-q', 'origin', 'main'])).status, 0);
    await gitOk(p, ['fetch', '-q', 'origin']);
    const newest = (await gitOk(p, ['rev-parse', `origin/main:communications/${rec.thread}/messages.md`])).trim();
    t.match(await gitOk(p, ['cat-file', '-p', newest]), /Third message\./, 'a blob of the new tip, by id');
    const r = await gitRun(p, ['fetch', 'origin', secret]);
    t.not(r.status, 0, 'the hidden blob is still refused');
  });

  const log = readFileSync(`${s.data}/access.log`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.ok(
    log.some((e) => e.principal === 'jane' && e.outcome === 'refused-fetch' && e.status === 200),
    'refusals are in the access log',
  );
  t.ok(
    s.logs.some((l) => l.includes('"event":"fetch-refused"')),
    'and in the server log',
  );
});

t.test('reachability: commits by walk, other objects by the set of the tips, extended when they move', async (t) => {
  const repo = tempDir(t);
  const env = testGitEnv();
  await gitOk(repo, ['init', '-q', '--initial-branch=main']);
  const commit = async (text: string) => {
    await gitOk(repo, ['commit', '-q', '--allow-empty', '-m', text]);
    return (await gitOk(repo, ['rev-parse', 'HEAD'])).trim() as Oid;
  };
  const blob = async (text: string) => (await gitOk(repo, ['hash-object', '-w', '--stdin'], { input: text })).trim();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${repo}/f`, 'one\n');
  await gitOk(repo, ['add', 'f']);
  const c1 = await commit('c1');
  const b1 = (await gitOk(repo, ['rev-parse', 'HEAD:f'])).trim();
  writeFileSync(`${repo}/f`, 'two\n');
  await gitOk(repo, ['add', 'f']);
  const c2 = await commit('c2');
  const loose = await blob('nobody refers to me\n');
  const r = new Reachability();
  const gitdir = `${repo}/.git`;
  t.same(await r.unreachable(gitdir, [c2], [c2, c1, b1], env), [], 'the tip, an ancestor, an old blob');
  t.same(await r.unreachable(gitdir, [c1], [c2], env), [c2], 'a descendant is not reachable');
  const absent = 'f'.repeat(40);
  t.same(
    (await r.unreachable(gitdir, [c2], [loose, absent], env)).sort(),
    [loose, absent].sort(),
    'a dangling blob, a missing object',
  );
  writeFileSync(`${repo}/f`, 'three\n');
  await gitOk(repo, ['add', 'f']);
  const c3 = await commit('c3');
  const b3 = (await gitOk(repo, ['rev-parse', 'HEAD:f'])).trim();
  t.same(await r.unreachable(gitdir, [c3], [b3, b1], env), [], 'after the tip moved, new and old blobs');
  t.same(
    await r.unreachable(gitdir, [c2], [b3], env),
    [b3],
    'a blob of a later commit is not reachable from an earlier tip',
  );
  t.same(
    await new Reachability(0).unreachable(gitdir, [c3], [b1, loose], gitEnv()),
    [loose],
    'with nothing cached, the same answers',
  );
});
