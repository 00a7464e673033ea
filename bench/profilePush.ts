// Where a validated push's time goes on the server (issue 17): `ccr serve` (the bundled command,
// a process of its own) runs with `--cpu-prof`; one record gets N one-message pushes with the git
// CLI; on exit the profile is summed up by category (spawning git, the hook's round trip, HTTP,
// validation on its thread is not in the main thread's profile) and by function (self time).
// Usage: node dist/bench/profilePush.js [pushes]   (CCR_BENCH_KEEP=1 keeps the .cpuprofile;
// CCR_PROFILE_CCR=<another build's dist/bundle/ccr.cjs> profiles that build, for a before/after)

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { TOKEN, apiRecord, commitChain, gitCli } from './fixtures.js';
import { freePort } from './gitServers.js';
import { envWords, median, scratch, time } from './util.js';

const n = Number(process.argv[2] ?? 40);
const dir = scratch('profile');

const port = await freePort();
const server = spawn(
  process.execPath,
  [
    ...envWords('CCR_PROFILE_NODE'),
    '--cpu-prof',
    '--cpu-prof-dir',
    `${dir}/prof`,
    process.env['CCR_PROFILE_CCR'] ?? new URL('../bundle/ccr.cjs', import.meta.url).pathname,
    'serve',
    '--data',
    `${dir}/data`,
    '--port',
    String(port),
  ],
  { stdio: 'ignore', env: { ...process.env, CCR_ADMIN_TOKEN: TOKEN, CCR_LOG_FORMAT: 'json' } },
);
const url = `http://127.0.0.1:${port}`;
for (
  let i = 0;
  i < 600 &&
  !(await fetch(`${url}/healthz`).then(
    () => true,
    () => false,
  ));
  i++
)
  await new Promise((r) => setTimeout(r, 100));

const rec = await apiRecord({ url });
const chain = await commitChain(rec.url, `${dir}/work`, rec.thread, n);
const times: number[] = [];
// V8 stamps samples with the monotonic clock, which hrtime reads too: the pushes' window.
const from = Number(process.hrtime.bigint() / 1000n);
for (const sha of chain)
  times.push(await time(() => gitCli(`${dir}/work`, ['push', '-q', rec.url, `${sha}:refs/heads/main`])));
const to = Number(process.hrtime.bigint() / 1000n);
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
// The main thread's profile (thread 0); the validator threads write their own.
const file = readdirSync(`${dir}/prof`).find((f) => /\.0\.\d+\.cpuprofile$/.test(f))!;
const prof = JSON.parse(readFileSync(`${dir}/prof/${file}`, 'utf8')) as {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const self = new Map<number, number>();
// Only the pushes count: samples stamped between the first push's start and the last one's end.
let at = prof.startTime;
prof.samples.forEach((s, i) => {
  at += prof.timeDeltas[i] ?? 0;
  if (at >= from && at <= to) self.set(s, (self.get(s) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
});
const pushes = n;

/** The first category whose test matches a frame on the node's stack (innermost first). */
const categories: Array<[string, (f: Node['callFrame']) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['child_process.spawn', (f) => f.functionName === 'spawn' && f.url.includes('child_process')],
  ['hook endpoint (judge excluded)', (f) => /HookEndpoint|parseHookBody/.test(f.functionName)],
  ['access log / receipts / events', (f) => /accessLog|receipt|events/i.test(f.functionName + f.url)],
  ['zlib / streams', (f) => /zlib|stream/.test(f.url)],
  ['http', (f) => /_http_|node:http/.test(f.url)],
];
const totals = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, ms] of self) {
  const leaf = byId.get(id)!;
  const name = `${leaf.callFrame.functionName || '(anonymous)'} ${leaf.callFrame.url.split('/').pop()}:${leaf.callFrame.lineNumber + 1}`;
  fns.set(name, (fns.get(name) ?? 0) + ms);
  let cat = 'other';
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const hit = categories.find(([, test]) => test(byId.get(x!)!.callFrame));
    if (hit) {
      cat = hit[0];
      break;
    }
  }
  totals.set(cat, (totals.get(cat) ?? 0) + ms);
}
const busy = [...totals].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0);
const n1 = pushes;
console.log(
  `${n} validated one-message pushes, median ${median(times).toFixed(1)} ms; server main thread busy ${(busy / n1).toFixed(2)} ms a push`,
);
for (const [k, v] of [...totals].sort((a, b) => b[1] - a[1]))
  console.log(
    `  ${k.padEnd(34)} ${(v / n1).toFixed(2).padStart(7)} ms a push${k === 'idle' ? '' : `  ${((v / busy) * 100).toFixed(0)} %`}`,
  );
console.log('top functions by self time (ms a push):');
for (const [k, v] of [...fns]
  .filter(([k]) => !k.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, 15))
  console.log(`  ${(v / n1).toFixed(2).padStart(7)}  ${k}`);
// Inclusive time: each sample counts once for every distinct function on its stack.
const inclusive = new Map<string, number>();
for (const [id, ms] of self) {
  const seen = new Set<string>();
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const f = byId.get(x)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    if (f.functionName && !seen.has(name)) {
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
}
console.log('top functions by inclusive time (ms a push):');
for (const [k, v] of [...inclusive]
  .filter(([k]) => !k.startsWith('('))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.env['CCR_PROFILE_TOP'] ?? 40)))
  console.log(`  ${(v / n1).toFixed(2).padStart(7)}  ${k}`);
