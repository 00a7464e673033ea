// Benchmark: the git server. (1) Clone and one-message push through the server (HTTP, auth,
// validation) vs plain `git` over file:// on the same repository, same run. (2) Server start and
// one clone with 100,000 records vs with 10; record creation through the API; disk per record.
// Targets: start and clone ratios (100,000 / 10) ≤ 1.2; creation ≤ 20 ms median; ≤ 64 KiB a record.
// Usage: node dist/bench/server.js [records] [samples]

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createRecord } from '../service/initialise.js';
import { RecordStore } from '../store/records.js';
import { gitEnv } from '../git/run.js';
import type { RecordId } from '../core/ids.js';
import { TOKEN, apiRecord, benchServer, commitChain, gitCli, place } from './fixtures.js';
import { median, progress, report, scratch, time } from './util.js';

const records = Number(process.argv[2] ?? 100_000);
const n = Number(process.argv[3] ?? 30);
const dir = scratch('server');
const ccr = new URL('../bundle/ccr.cjs', import.meta.url).pathname;

// (1) Through the server vs git over file://, on the same repository.
{
  const server = await benchServer(`${dir}/one`);
  const rec = await apiRecord(server);
  const chain = await commitChain(rec.url, `${dir}/work`, rec.thread, 2 * n + 2);
  const bare = server.context.records.path(rec.id as RecordId);
  const viaFile = `${dir}/file-copy.git`;
  execFileSync('git', ['clone', '-q', '--bare', bare, viaFile], { env: gitEnv() });
  const httpPush: number[] = [];
  const filePush: number[] = [];
  for (let i = 0; i < chain.length; i += 2) {
    // Both remotes get the same commits, one push each, alternately.
    for (const sha of [chain[i]!, chain[i + 1]!]) {
      const h = await time(() => gitCli(`${dir}/work`, ['push', '-q', rec.url, `${sha}:refs/heads/main`]));
      const f = await time(() => gitCli(`${dir}/work`, ['push', '-q', `file://${viaFile}`, `${sha}:refs/heads/main`]));
      if (i > 0) {
        httpPush.push(h);
        filePush.push(f);
      }
    }
  }
  const httpClone: number[] = [];
  const fileClone: number[] = [];
  for (let i = 0; i < n; i++) {
    httpClone.push(await time(() => gitCli(dir, ['clone', '-q', rec.url, `${dir}/h${i}`])));
    fileClone.push(await time(() => gitCli(dir, ['clone', '-q', `file://${viaFile}`, `${dir}/f${i}`])));
  }
  await server.close();
  console.log(`through the server vs git over file://, median of ${httpPush.length} (ms)`);
  report('one-message push through the server (validated)', median(httpPush), 'ms', {
    name: 'file://',
    value: median(filePush),
  });
  report('clone through the server', median(httpClone), 'ms', { name: 'file://', value: median(fileClone) });
}

// (2) Scale: a data folder with `records` records vs one with 10.
async function fill(data: string, count: number): Promise<void> {
  mkdirSync(`${data}/coordination`, { recursive: true });
  const store = new RecordStore(`${data}/coordination`);
  let started = 0;
  let done = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await createRecord({
        path: (id) => store.path(id),
        bare: true,
        author: { name: 'Bench', email: 'bench@ccr.invalid' },
        careLocation: place,
        clinicalId: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12',
      });
      progress(`creating ${count} records`, ++done, count);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Start `ccr serve` on a data folder; gives its URL, the time until it listened, and a stop function. */
function serve(data: string): Promise<{ url: string; ms: number; stop: () => Promise<void> }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ccr, 'serve', '--data', data, '--port', '0'], {
      env: { ...gitEnv(), CCR_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d: Buffer) => {
      const line = d
        .toString()
        .split('\n')
        .find((l) => l.includes('"listening"'));
      if (!line) return;
      const ms = performance.now() - started;
      const url = (JSON.parse(line) as { url: string }).url;
      resolve({
        url,
        ms,
        stop: () =>
          new Promise((r) => {
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`ccr serve exited ${code}`)));
  });
}

function createThroughApi(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/records`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(String(res.statusCode)))));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ clinical_id: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12', care_location: place }));
  });
}

const results: Record<string, { start: number; clone: number; create: number }> = {};
for (const count of [10, records]) {
  const data = `${dir}/scale-${count}`;
  await fill(data, count);
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = await serve(data);
    starts.push(s.ms);
    await s.stop();
  }
  const s = await serve(data);
  const first = await new Promise<string>((resolve) => {
    const req = request(
      `${s.url}/api/records?limit=1`,
      { headers: { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } },
      (res) => {
        let b = '';
        res.on('data', (d: Buffer) => {
          b += d.toString();
        });
        res.on('end', () => resolve(b));
      },
    );
    req.end();
  });
  const id = (JSON.parse(first) as { records: string[] }).records[0]!;
  const url = new URL(`${s.url}/coordination/${id}.git`);
  url.username = 'admin';
  url.password = TOKEN;
  const clones: number[] = [];
  for (let i = 0; i < n; i++)
    clones.push(await time(() => gitCli(dir, ['clone', '-q', url.toString(), `${dir}/c-${count}-${i}`])));
  const creates: number[] = [];
  for (let i = 0; i < n; i++) creates.push(await time(() => createThroughApi(s.url)));
  await s.stop();
  results[count] = { start: median(starts), clone: median(clones), create: median(creates) };
  if (count === 10) {
    const du = execFileSync('du', [
      '-sk',
      `${data}/coordination/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}.git`,
    ]).toString();
    report('disk of an empty record (du)', Number(du.split('\t')[0]), 'KiB');
  }
}
const small = results[10]!;
const large = results[records]!;
console.log(`${records} records vs 10, median (ms)`);
report(`server start with ${records} records`, large.start, 'ms', { name: '10 records', value: small.start });
report(`one clone with ${records} records`, large.clone, 'ms', { name: '10 records', value: small.clone });
report(`record creation through the API, ${records} records`, large.create, 'ms', {
  name: '10 records',
  value: small.create,
});
