// Benchmark: a message posted through the JSON API (POST …/threads/<thread>/messages) vs the same
// message pushed with git (a one-message commit, already built, pushed over smart HTTP), both by
// one integration principal on one server, interleaved in one run so drift hits both alike.
// Target (issue 16): the API ≤ 1.2× the push.
// Usage: node dist/bench/apiMessage.js [messages per way]   (CCR_BENCH_LOG=1: the server log on stderr)

import { request } from 'node:http';
import { apiRecord, benchServer, body, commitChain, gitCli, jane, TOKEN } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 60);
const dir = scratch('api-message');
const server = await benchServer(`${dir}/data`, process.env['CCR_BENCH_LOG'] ? { logStream: process.stderr } : {});

/** One JSON call; gives status and body text. */
function call(method: string, path: string, auth: string, payload: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

const made = await call('POST', '/api/principals', `admin:${TOKEN}`, { name: 'ehr', kind: 'integration' });
const ehr = `ehr:${(JSON.parse(made.text) as { token: string }).token}`;
process.stderr.write('  preparing records and commits\n');
const viaGit = await apiRecord(server);
const viaApi = await apiRecord(server);
const url = new URL(viaGit.url);
url.username = 'ehr';
url.password = ehr.slice(4);
const chain = await commitChain(viaGit.url, `${dir}/clone`, viaGit.thread, n + 3);
let next = 0;
const push = () => gitCli(`${dir}/clone`, ['push', '-q', url.toString(), `${chain[next++]}:refs/heads/main`]);
let i = 0;
const post = async () => {
  const r = await call('POST', `/api/records/${viaApi.id}/threads/${viaApi.thread}/messages`, ehr, {
    body: `${body} (${i++})`,
    author_id: jane.participant_id,
  });
  if (r.status !== 201) throw new Error(`API post: ${r.status} ${r.text}`);
};
for (let w = 0; w < 3; w++) {
  await push();
  await post();
} // warm-up
const pushes: number[] = [];
const posts: number[] = [];
for (let k = 0; k < n; k++) {
  pushes.push(await time(push));
  posts.push(await time(post));
}
await server.close();

console.log(`one message, median of ${n} each, interleaved (ms)`);
const base = { name: 'git push', value: median(pushes) };
report('message pushed with git (one-message commit)', base.value, 'ms');
report('message posted through the JSON API', median(posts), 'ms', base);
