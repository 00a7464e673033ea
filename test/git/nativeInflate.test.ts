// Packed objects inflated by Node's zlib (git/nativeInflate.ts): isomorphic-git, through the store,
// gives every object of a real pack (deltas and all) exactly as git does, and a damaged stream is
// an error, never other bytes.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import pako from 'pako';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { inflates } from '../../git/nativeInflate.js';
import { IsoGitSource } from '../../git/store.js';
import { growingThreads } from '../../bench/fixtures.js';
import { gitIn, testGitEnv } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';

/** A bare repository whose one pack holds 120 versions of a growing file (deltas) and their trees and commits. */
function packed(dir: string): { gitdir: string; pack: string } {
  const gitdir = `${dir}/r.git`;
  gitIn(dir, ['init', '-q', '--bare', gitdir]);
  const stream = growingThreads().history(120, (i) => `Words about the patient, number ${i}.`);
  gitIn(gitdir, ['fast-import', '--quiet'], { input: stream });
  gitIn(gitdir, ['repack', '-a', '-d', '-f', '-q']);
  const pack = readdirSync(`${gitdir}/objects/pack`).find((f) => f.endsWith('.pack'))!;
  return { gitdir, pack: `${gitdir}/objects/pack/${pack}` };
}

/** Every object of a repository as git gives it: id → type and content. */
function allObjects(gitdir: string): Map<string, { type: string; content: Buffer }> {
  const out = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], {
    cwd: gitdir,
    env: testGitEnv(),
    maxBuffer: 1 << 28,
  });
  const objects = new Map<string, { type: string; content: Buffer }>();
  for (let at = 0; at < out.length;) {
    const eol = out.indexOf(10, at);
    const [id, type, size] = out.subarray(at, eol).toString().split(' ');
    objects.set(id!, { type: type!, content: out.subarray(eol + 1, eol + 1 + Number(size)) });
    at = eol + 1 + Number(size) + 1;
  }
  return objects;
}

t.test("the store's reads use Node's zlib; a call with options keeps pako's", async (t) => {
  // The pako isomorphic-git itself loads (were it ever given a copy of its own, the patch would miss it).
  const require = createRequire(import.meta.url);
  const theirs = createRequire(require.resolve('isomorphic-git'))('pako') as typeof pako;
  t.equal(theirs.inflate, inflates.node, "isomorphic-git's pako inflates with Node's zlib");
  t.equal(pako.inflate, inflates.node);
  const deflated = pako.deflate('x');
  t.equal(Buffer.from(inflates.node(deflated)).toString(), 'x');
  t.equal(inflates.node(deflated, { to: 'string' }) as unknown, 'x');
});

t.test('every object of a pack with deltas reads as git gives it', async (t) => {
  const { gitdir, pack } = packed(tempDir(t));
  t.match(gitIn(gitdir, ['verify-pack', '-v', pack]), /chain length = [1-9]/, 'the pack holds deltas');
  const objects = allObjects(gitdir);
  t.ok(objects.size >= 360, `${objects.size} objects`);
  const source = new IsoGitSource(gitdir, 1, true);
  const differ: string[] = [];
  for (const [id, want] of objects) {
    const got = await source.read(id as Oid);
    if (got?.type !== want.type || !want.content.equals(Buffer.from(got.content))) differ.push(id);
  }
  t.same(differ, [], 'all alike');
});

t.test('a damaged object in a pack is an error, not other bytes', async (t) => {
  const { gitdir, pack } = packed(tempDir(t));
  const blob = gitIn(gitdir, ['rev-parse', 'main~60:communications/t0/messages.md']).trim() as Oid;
  // verify-pack -v: "<id> <type> <size> <size in pack> <offset> …"
  const line = gitIn(gitdir, ['verify-pack', '-v', pack])
    .split('\n')
    .find((l) => l.startsWith(blob))!;
  const [, , , inPack, offset] = line.split(/\s+/).map(Number);
  const bytes = readFileSync(pack);
  const at = offset! + Math.floor(inPack! / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(pack, bytes);
  const source = new IsoGitSource(gitdir, 1, true);
  await t.rejects(source.read(blob), 'the read fails');
});
