// Run every benchmark in turn (`npm run bench`); each prints its figures and ratios.
// Smaller runs: CCR_BENCH_QUICK=1 (fewer records and samples).

import { spawnSync } from 'node:child_process';

const quick = process.env['CCR_BENCH_QUICK'] === '1';
const benches: Array<[string, string[]]> = [
  ['append.js', quick ? ['15'] : ['40']],
  ['push.js', quick ? ['20'] : ['60']],
  ['signedPush.js', quick ? ['20'] : ['60']],
  ['verify.js', quick ? ['2000', '500'] : ['10000', '2000']],
  ['server.js', quick ? ['1000', '10'] : ['100000', '30']],
  ['signatures.js', quick ? ['500'] : ['3000']],
  ['disk.js', quick ? ['2'] : ['8']],
  ['maintenance.js', quick ? ['1000', '16'] : ['5000', '40']],
  ['packRead.js', quick ? ['500', '3'] : ['2000', '7']],
  ['syncCap.js', quick ? ['32'] : ['300']],
  ['webView.js', quick ? ['200'] : ['1000']],
  ['apiMessage.js', quick ? ['20'] : ['60']],
  ['cli.js', quick ? ['5'] : ['20']],
  ['versusGit.js', quick ? ['8', '3'] : ['30', '8']],
  ['memory.js', quick ? ['4'] : ['8']],
  ['spacedPush.js', quick ? ['6', '3000'] : ['20', '3000']],
  ['pushCpu.js', quick ? ['3'] : ['8']],
  ['identity.js', quick ? ['20000', '4'] : ['1000000', '12']],
  ['identityHttp.js', quick ? ['20000', '2'] : ['1000000', '5']],
  ['events.js', quick ? ['8', '1000'] : ['20', '1000']],
];
let failed = 0;
for (const [file, args] of benches) {
  console.log(`\n## ${file.replace('.js', '')}`);
  const r = spawnSync(process.execPath, [new URL(file, import.meta.url).pathname, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
