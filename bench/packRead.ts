// Benchmark: reading objects from a pack, as a record's first read after a start or a repack does
// (the object cache empty): isomorphic-git with pako's inflate, a zlib written in JavaScript,
// against the same with Node's zlib (git/nativeInflate.ts), in turn in one run. A thread of N
// messages made one commit each, packed by git with deltas; each round reads its last 200
// versions through a new source.
// Usage: node dist/bench/packRead.js [messages] [rounds]

import { execFileSync } from 'node:child_process';
import pako from 'pako';
import { inflates } from '../git/nativeInflate.js';
import { IsoGitSource } from '../git/store.js';
import type { Oid } from '../core/objects.js';
import { gitEnv } from '../git/run.js';
import { growingThreads } from './fixtures.js';
import { median, report, scratch, time } from './util.js';

const messages = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 7);
const dir = scratch('packread');
const env = gitEnv();
const git = (args: string[], input = '') =>
  execFileSync('git', ['-C', dir, ...args], { env, input, encoding: 'utf8', maxBuffer: 1 << 30 });

git(['init', '-q', '--bare', '.']);
const stream = growingThreads().history(
  messages,
  (i) => `A few sentences about the patient and what was agreed, number ${i}.`,
);
git(['fast-import', '--quiet'], stream);
git(['repack', '-a', '-d', '-q']);
const blobs = git(['rev-list', '--max-count=200', 'main'])
  .trim()
  .split('\n')
  .map((c) => git(['rev-parse', `${c}:communications/t0/messages.md`]).trim() as Oid);

const mutable = pako as { inflate: unknown };
const readAll = (inflate: unknown) => {
  mutable.inflate = inflate;
  return time(async () => {
    const source = new IsoGitSource(dir, 1, true);
    for (const oid of blobs) await source.read(oid);
  });
};
const times = { pako: [] as number[], node: [] as number[] };
for (let r = 0; r < rounds; r++) {
  times.pako.push(await readAll(inflates.pako));
  times.node.push(await readAll(inflates.node));
}
mutable.inflate = inflates.node;
console.log(
  `The last 200 versions of a ${messages}-message thread, read from a pack by a new source (median of ${rounds})`,
);
const base = { name: "pako's inflate", value: median(times.pako) };
report("isomorphic-git with pako's inflate", base.value);
report("isomorphic-git with Node's zlib (what CCR runs)", median(times.node), 'ms', base);
