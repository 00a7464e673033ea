// Benchmark: the `ccr` command (issue 17). (1) Start-up: `ccr --help`, `ccr --version` and a small
// command in a working copy (`ccr thread list`) against `node -e 0`. (2) The CLI path of one
// message: `ccr message add` + `ccr push` against `git commit` + `git push` of the same change
// (a commit of the same tree, message and author), to a real server; and the one-command path,
// `ccr message add --push`. Both with the bundled
// command (dist/bundle, what `ccr` runs) and the modules as tsc compiled them (dist/cli), so the
// bundle's gain is measured in the same run; the bundled command also with CCR_CODE_CACHE=0 (no V8
// code cache, cli/codeCache.ts), the cache's gain. Wall-clock medians and the CPU time of the children.
// With the compiled client (dist/bin/ccr, cli/client.c) where the build made one: the same commands
// handed to the user's agent (cli/agent.ts), which the first of them starts; its CPU is read from
// /proc and given beside the client's own.
// Targets: start-up ≤ 1.3× node -e 0; the CLI path ≤ 2× git.
// Usage: node dist/bench/cli.js [samples]; CCR_BENCH_BEFORE=<path of another build's bundled ccr.cjs>
// runs that one too, in turn with these, for a before/after in one run.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gitEnv } from '../git/run.js';
import { TOKEN, apiRecord, benchServer, commitChain, gitCli, jane, place } from './fixtures.js';
import { median, procTimes, report, scratch } from './util.js';

const n = Number(process.argv[2] ?? 20);
const dir = scratch('cli');
const bundled = new URL('../bundle/ccr.cjs', import.meta.url).pathname;
const compiled = new URL('../cli/ccr.js', import.meta.url).pathname;
const before = process.env['CCR_BENCH_BEFORE'];
const client = new URL('../bin/ccr', import.meta.url).pathname;
const withClient = existsSync(client);
/** The agents' pids, from their logs in the scratch runtime folder. */
function agents(): number[] {
  const logs = existsSync(`${dir}/run/ccr`) ? readdirSync(`${dir}/run/ccr`).filter((f) => f.endsWith('.log')) : [];
  return logs.flatMap((f) =>
    readFileSync(`${dir}/run/ccr/${f}`, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"start"'))
      .map((l) => (JSON.parse(l) as { pid: number }).pid),
  );
}
/** CPU ms the agents and the git they ran have used (utime, stime, cutime, cstime from /proc; ticks of 10 ms). */
function agentCpu(): number {
  let ms = 0;
  for (const pid of agents()) {
    try {
      const t = procTimes(`/proc/${pid}/stat`);
      ms += t.self + t.children;
    } catch {
      /* ended */
    }
  }
  return ms;
}

/** Runs the commands one after the other under bash; wall time, and the children's CPU time from `times`. */
async function run(cmds: string[][], cwd: string, env: NodeJS.ProcessEnv): Promise<{ wall: number; cpu: number }> {
  const script = `${cmds.map((c) => c.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')).join(' && ')} >/dev/null && times`;
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => {
      const wall = performance.now() - start;
      if (code !== 0) return reject(new Error(`${script}: exit ${code}: ${err}`));
      // `times` prints the shell's own times, then its children's: "0m0.310s 0m0.050s".
      const children = out
        .trim()
        .split('\n')
        .at(-1)!
        .match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/)!;
      const cpu =
        (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000;
      resolve({ wall, cpu });
    });
  });
}

/** A working copy for ccr: its remote without the token (ccr takes CCR_USER / CCR_TOKEN). */
async function clone(url: string, to: string): Promise<void> {
  await gitCli('/', ['clone', '-q', url, to]);
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  await gitCli(to, ['remote', 'set-url', 'origin', bare.toString()]);
}

const node = process.execPath;
const server = await benchServer(`${dir}/data`);
try {
  const env = {
    ...gitEnv('/dev/null', {
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'b@ccr.invalid',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'b@ccr.invalid',
    }),
    CCR_USER: 'admin',
    CCR_TOKEN: TOKEN,
    CCR_CONFIG: `${dir}/ccr.json`,
    // The code cache in the scratch folder: written by the warm-up runs, not in the user's own.
    XDG_CACHE_HOME: `${dir}/cache`,
    // The agent's socket folder too.
    XDG_RUNTIME_DIR: `${dir}/run`,
  };
  mkdirSync(`${dir}/run`, { mode: 0o700 });
  const noCache = { ...env, CCR_CODE_CACHE: '0' };
  writeFileSync(
    `${dir}/ccr.json`,
    JSON.stringify({
      'participant-id': jane.participant_id,
      'display-name': jane.display_name,
      role: jane.role,
      'care-location': place,
      name: 'Bench',
      email: 'b@ccr.invalid',
    }),
  );

  // (1) Start-up.
  const a = await apiRecord(server);
  await clone(a.url, `${dir}/wc`);
  const starts: Record<string, Array<{ wall: number; cpu: number }>> = {};
  const cases: Array<[string, string[][], NodeJS.ProcessEnv?]> = [
    ['node -e 0', [[node, '-e', '0']]],
    ['ccr --help', [[node, bundled, '--help']]],
    ['ccr --version', [[node, bundled, '--version']]],
    ['ccr thread list', [[node, bundled, 'thread', 'list']]],
    ['ccr thread list (no code cache)', [[node, bundled, 'thread', 'list']], noCache],
    ...(withClient
      ? ([
          ['ccr thread list (compiled client, agent)', [[client, 'thread', 'list']]],
          ['ccr --help (compiled client)', [[client, '--help']]],
        ] as Array<[string, string[][]]>)
      : []),
    ['ccr --help (unbundled)', [[node, compiled, '--help']]],
    ['ccr thread list (unbundled)', [[node, compiled, 'thread', 'list']]],
    ...(before
      ? ([
          ['ccr --help (before)', [[node, before, '--help']]],
          ['ccr thread list (before)', [[node, before, 'thread', 'list']]],
        ] as Array<[string, string[][]]>)
      : []),
  ];
  for (let i = -2; i < n; i++) {
    for (const [name, cmds, caseEnv] of cases) {
      const r = await run(cmds, `${dir}/wc`, caseEnv ?? env);
      if (i >= 0) (starts[name] ??= []).push(r);
    }
  }
  const wall = (k: string) => median(starts[k]!.map((r) => r.wall));
  const cpu = (k: string) => median(starts[k]!.map((r) => r.cpu));
  console.log(`start-up, median of ${n} (wall ms; CPU ms of the process)`);
  for (const [name] of cases.slice(1)) {
    report(`${name}, wall`, wall(name), 'ms', { name: 'node -e 0', value: wall('node -e 0') });
    report(`${name}, CPU`, cpu(name), 'ms', { name: 'node -e 0', value: cpu('node -e 0') });
  }

  // (2) One message: ccr (bundled, then unbundled) and git, each on a record of its own, alternately.
  const b = await apiRecord(server);
  const g = await apiRecord(server);
  const c = await apiRecord(server);
  const chain = await commitChain(g.url, `${dir}/prebuilt`, g.thread, n + 2);
  await gitCli('/', ['clone', '-q', g.url, `${dir}/gitwc`]);
  await clone(b.url, `${dir}/wc2`);
  await clone(c.url, `${dir}/wc3`);
  const d = await apiRecord(server);
  await clone(d.url, `${dir}/wc4`);
  const e = await apiRecord(server);
  await clone(e.url, `${dir}/wc5`);
  const thread = (wc: string) => readdirSync(`${wc}/communications`)[0]!;
  await gitCli(`${dir}/gitwc`, ['fetch', '-q', `${dir}/prebuilt`, 'main']);
  const paths: Record<string, Array<{ wall: number; cpu: number }>> = {
    bundled: [],
    uncached: [],
    unbundled: [],
    git: [],
    before: [],
    oneCommand: [],
    agent: [],
  };
  const f = await apiRecord(server);
  await clone(f.url, `${dir}/wc6`);
  for (let i = 0; i < n + 2; i++) {
    const body = `Reviewed on the ward round (${i}); observations stable, continue and reassess in 48 hours.`;
    const rb = await run(
      [
        [node, bundled, 'message', 'add', thread(`${dir}/wc`), '-m', body],
        [node, bundled, 'push'],
      ],
      `${dir}/wc`,
      env,
    );
    const rn = await run(
      [
        [node, bundled, 'message', 'add', thread(`${dir}/wc3`), '-m', body],
        [node, bundled, 'push'],
      ],
      `${dir}/wc3`,
      noCache,
    );
    const ru = await run(
      [
        [node, compiled, 'message', 'add', thread(`${dir}/wc2`), '-m', body],
        [node, compiled, 'push'],
      ],
      `${dir}/wc2`,
      env,
    );
    const rx = before
      ? await run(
          [
            [node, before, 'message', 'add', thread(`${dir}/wc4`), '-m', body],
            [node, before, 'push'],
          ],
          `${dir}/wc4`,
          env,
        )
      : undefined;
    // The one-command path: ccr message add --push.
    const ro = await run(
      [[node, bundled, 'message', 'add', thread(`${dir}/wc5`), '-m', body, '--push']],
      `${dir}/wc5`,
      env,
    );
    // The one command through the compiled client and the agent; the agent's CPU added to the client's.
    const cpu0 = agentCpu();
    const ra = withClient
      ? await run([[client, 'message', 'add', thread(`${dir}/wc6`), '-m', body, '--push']], `${dir}/wc6`, env)
      : undefined;
    if (ra) ra.cpu += agentCpu() - cpu0;
    // The same change as the prebuilt commit: its files checked out (not timed), then commit + push.
    await gitCli(`${dir}/gitwc`, ['checkout', '-q', chain[i]!, '--', '.']);
    const rg = await run(
      [
        ['git', 'commit', '-q', '-C', chain[i]!],
        ['git', 'push', '-q', 'origin', 'HEAD:main'],
      ],
      `${dir}/gitwc`,
      env,
    );
    if (i >= 2) {
      paths['bundled']!.push(rb);
      paths['oneCommand']!.push(ro);
      if (ra) paths['agent']!.push(ra);
      paths['uncached']!.push(rn);
      if (rx) paths['before']!.push(rx);
      paths['unbundled']!.push(ru);
      paths['git']!.push(rg);
    }
  }
  const pw = (k: string) => median(paths[k]!.map((r) => r.wall));
  const pc = (k: string) => median(paths[k]!.map((r) => r.cpu));
  console.log(`one message, median of ${n}: ccr message add + ccr push vs git commit + git push (the same change)`);
  report('ccr message add + ccr push, wall', pw('bundled'), 'ms', { name: 'git', value: pw('git') });
  report('ccr message add + ccr push, CPU of the commands', pc('bundled'), 'ms', { name: 'git', value: pc('git') });
  report('ccr message add --push (one command), wall', pw('oneCommand'), 'ms', { name: 'git', value: pw('git') });
  report('ccr message add --push, CPU of the command', pc('oneCommand'), 'ms', { name: 'git', value: pc('git') });
  if (withClient) {
    report('ccr message add --push, compiled client and agent, wall', pw('agent'), 'ms', {
      name: 'git',
      value: pw('git'),
    });
    report('the same, CPU of the client and the agent', pc('agent'), 'ms', { name: 'git', value: pc('git') });
  }
  report('the same, no code cache (CCR_CODE_CACHE=0), wall', pw('uncached'), 'ms', { name: 'git', value: pw('git') });
  report('the same, no code cache, CPU of the commands', pc('uncached'), 'ms', { name: 'git', value: pc('git') });
  report('the same, unbundled (dist/cli), wall', pw('unbundled'), 'ms', { name: 'git', value: pw('git') });
  report('the same, unbundled (dist/cli), CPU of the commands', pc('unbundled'), 'ms', {
    name: 'git',
    value: pc('git'),
  });
  report('bundled vs unbundled, wall', pw('bundled'), 'ms', { name: 'unbundled', value: pw('unbundled') });
  report('code cache vs none, wall', pw('bundled'), 'ms', { name: 'no cache', value: pw('uncached') });
  if (before) {
    report('before (CCR_BENCH_BEFORE), wall', pw('before'), 'ms', { name: 'git', value: pw('git') });
    report('before, CPU of the commands', pc('before'), 'ms', { name: 'git', value: pc('git') });
    report('after vs before, wall', pw('bundled'), 'ms', { name: 'before', value: pw('before') });
    report('after vs before, CPU', pc('bundled'), 'ms', { name: 'before', value: pc('before') });
  }
} finally {
  for (const pid of agents()) {
    try {
      process.kill(pid);
    } catch {
      /* ended */
    }
  }
  await server.close();
}
