// A memory history written into a real record on disk (<data>/coordination/…/<id>.git), for the
// view store tests: objects stored as git stores them, `main` moved the way CCR moves it. Also a
// larger generated history, and the views of a history computed in memory to compare with.

import { mkdirSync } from 'node:fs';
import type { Oid } from '../../core/objects.js';
import type { ViewReader } from '../../core/views/reader.js';
import { MAIN, compareAndSwapRef, readRef } from '../../git/refs.js';
import { initRepository } from '../../git/repository.js';
import { runGit } from '../../git/run.js';
import { storeObjects } from '../../git/views/pack.js';
import { ViewStore } from '../../git/views/store.js';
import { tempDir } from '../helpers/tmp.js';
import { History, MemoryViews, RECORD, cast, type Who } from './history.js';

/** A data folder with one record that mirrors a memory history. */
export interface DiskRecord {
  data: string;
  record: string;
  store: ViewStore;
  history: History;
  /** Store what the history holds that the record does not yet, and move `main` to its head. */
  sync(): Promise<void>;
}

/** A record on disk for a history; `main` follows the history's head on each `sync`. */
export async function diskRecord(t: { teardown(fn: () => void): void }, history: History): Promise<DiskRecord> {
  const data = tempDir(t, 'ccr-views-');
  const store = new ViewStore(data);
  const record = store.recordDir(RECORD);
  mkdirSync(record, { recursive: true });
  await initRepository(record, true);
  const written = new Set<Oid>();
  const sync = async () => {
    const fresh = new Map([...history.source.objects].filter(([oid]) => !written.has(oid)));
    await storeObjects(record, fresh);
    for (const oid of fresh.keys()) written.add(oid);
    const head = await readRef(record, MAIN);
    if (head !== history.head && !(await compareAndSwapRef(record, MAIN, history.head, head)))
      throw new Error('main moved');
  };
  await sync();
  return { data, record, store, history, sync };
}

/** Every object a repository can read (loose, packed,
  and its alternates'), in one git run: the whole store of a clone. */
export async function allObjects(gitdir: string): Promise<Array<{ oid: string; type: string; content: Buffer }>> {
  const r = await runGit(['--git-dir', gitdir, 'cat-file', '--batch-all-objects', '--batch']);
  if (r.code !== 0) throw new Error(`git cat-file failed: ${r.stderr}`);
  const out: Array<{ oid: string; type: string; content: Buffer }> = [];
  for (let at = 0; at < r.stdout.length;) {
    const nl = r.stdout.indexOf(10, at);
    const [oid, type, size] = r.stdout.toString('latin1', at, nl).split(' ') as [string, string, string];
    const start = nl + 1;
    out.push({ oid, type, content: r.stdout.subarray(start, start + Number(size)) });
    at = start + Number(size) + 1;
  }
  return out;
}

/** A seeded generator of numbers in [0, 1). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * A longer history: threads with varied participants, messages, removals and re-additions,
 * restriction, sync merges of short side lines; `commits` commits or a few more.
 */
export async function generatedHistory(commits: number, seed = 7): Promise<History> {
  const h = new History();
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const groups: Who[][] = [
    ['jane', 'john'],
    ['jane', 'tom'],
    ['jane', 'john', 'tom'],
    ['tom', 'admin'],
    ['jane', 'admin', 'john'],
  ];
  let threads = 0;
  const whoIs = (id: string) => (Object.keys(cast) as Who[]).find((w) => cast[w].participant_id === id)!;
  const inThread = (n: number, at: Oid = h.head) => h.ledger(n, at)!.participants.map((p) => whoIs(p.participant_id));
  while (h.commits.length < commits) {
    const r = rnd();
    if (threads === 0 || r < 0.05) h.createThread(++threads, pick(groups), { restricted: rnd() < 0.2 });
    else if (r < 0.08) {
      const n = 1 + Math.floor(rnd() * threads);
      const people = inThread(n);
      if (people.length > 1) h.remove(n, people[people.length - 1]!, people[0]!);
      else h.add(n, pick(['jane', 'john', 'tom'] as Who[]), people[0]!);
    } else if (r < 0.1) {
      const n = 1 + Math.floor(rnd() * threads);
      const people = inThread(n);
      const absent = (['jane', 'tom', 'john', 'admin'] as Who[]).filter((w) => !people.includes(w));
      if (absent.length > 0) h.add(n, pick(absent), people[0]!);
    } else if (r < 0.11) {
      const n = 1 + Math.floor(rnd() * threads);
      h.restrict(n, !h.ledger(n)!.visibility.restricted, inThread(n)[0]!);
    } else if (r < 0.13 && h.commits.length > 10) {
      let base = h.head;
      for (let i = 0; i < 3 && h.parents(base).length > 0; i++) base = h.parents(base)[0]!;
      let side = base;
      for (let i = 0; i < 2; i++) {
        const n = 1 + Math.floor(rnd() * threads);
        if (h.ledger(n, side)) side = h.say(n, pick(inThread(n, side)), side);
      }
      if (side !== base) await h.merge(side);
    } else {
      const n = 1 + Math.floor(rnd() * threads);
      h.say(n, pick(inThread(n)));
    }
  }
  return h;
}

/** The views of a history computed in memory, for comparison with the store's. */
export async function memoryViews(h: History, reader: ViewReader): Promise<Map<Oid, Oid>> {
  const views = new MemoryViews(h, reader);
  await views.of(h.head);
  return views.builder.views;
}
